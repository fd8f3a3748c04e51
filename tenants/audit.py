"""The audit trail's names for what tenancy records (AuditEntry.action; the admin filters by them)."""
from enum import StrEnum


class AuditAction(StrEnum):
    CLIENT_CREATE = "client.create"
    CLIENT_UPDATE = "client.update"
    CLIENT_ROTATE_SECRET = "client.rotate_secret"
    CLIENT_ROTATE_INGEST_KEY = "client.rotate_ingest_key"
    CLIENT_ACTIVATE = "client.activate"
    CLIENT_DEACTIVATE = "client.deactivate"
    MEMBER_ADD = "member.add"
    MEMBER_ROLE = "member.role"
    MEMBER_REMOVE = "member.remove"
    INVITATION_CREATE = "invitation.create"
    INVITATION_ACCEPT = "invitation.accept"
    INVITATION_REVOKE = "invitation.revoke"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_PASSWORD_CHANGE = "auth.password_change"
    AUTH_PASSWORD_RESET = "auth.password_reset"
