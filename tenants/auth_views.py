"""Django's password views, with the change written to the audit log (account takeover often
starts with a password change)."""
from django.contrib.auth import views as auth_views

from .audit import AuditAction
from .net import client_ip
from .services import audit_log


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(action=AuditAction.AUTH_PASSWORD_CHANGE, actor=self.request.user,
                  target=self.request.user.get_username(), ip_address=client_ip(self.request))
        return response


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(action=AuditAction.AUTH_PASSWORD_RESET, actor=form.user, target=form.user.get_username(),
                  ip_address=client_ip(self.request))
        return response
