"""Logins, logouts and failed logins go to the audit log (operators look for account takeover there)."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import AuditAction
from .net import client_ip as _ip
from .services import audit_log


@receiver(user_logged_in, dispatch_uid="tenants.audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_log(action=AuditAction.AUTH_LOGIN, actor=user, target=user.get_username(), ip_address=_ip(request))


@receiver(user_login_failed, dispatch_uid="tenants.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never store the attempted password; the username is what an operator needs.
    audit_log(action=AuditAction.AUTH_LOGIN_FAILED, target=str(credentials.get("username", ""))[:150],
              ip_address=_ip(request))


@receiver(user_logged_out, dispatch_uid="tenants.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_log(action=AuditAction.AUTH_LOGOUT, actor=user, target=user.get_username(), ip_address=_ip(request))
