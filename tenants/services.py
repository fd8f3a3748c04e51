"""Writes to tenancy data. Keyword-only, one transaction each, audited."""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify

from .audit import AuditAction
from .models import AuditEntry, Client, Invitation, Membership, Role
from .tasks import send_invitation_email as send_invitation_email_task


def _new_ingest_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def audit_log(*, action: str, client: Client | None = None, actor=None, target: str = "",
              details: dict | None = None, ip_address: str | None = None) -> AuditEntry:
    """Record one audited action. Services call this inside their own transaction."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor, client=client, action=action, target=str(target)[:200],
        details=details or {}, ip_address=ip_address,
    )


def _unique_slug(base: str) -> str:
    # Korean names slugify to nothing; fall back to a short random slug.
    root = slugify(base, allow_unicode=False)[:50] or "shop"
    slug, n = root, 2
    while Client.objects.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


@transaction.atomic
def client_create(*, name: str, mall_id: str | None = None, timezone_name: str = "Asia/Seoul",
                  industry: str = "", business_type: str = "", region: str = "",
                  slug: str | None = None, actor=None) -> tuple[Client, str]:
    """Create a client; returns it with its secret (shown once, only its hash is kept)."""
    secret = "sk_" + secrets.token_urlsafe(32)
    client = Client(
        name=name, slug=slug or _unique_slug(mall_id or name), mall_id=mall_id or None,
        timezone=timezone_name, industry=industry, business_type=business_type, region=region,
        ingest_key=_new_ingest_key(), secret_hash=_hash_secret(secret), secret_rotated_at=timezone.now(),
    )
    client.full_clean()
    client.save()
    audit_log(action=AuditAction.CLIENT_CREATE, client=client, actor=actor, target=client.slug)
    return client, secret


def client_check_secret(*, client: Client, secret: str) -> bool:
    return bool(client.secret_hash) and secrets.compare_digest(client.secret_hash, _hash_secret(secret))


@transaction.atomic
def client_rotate_secret(*, client: Client, actor=None) -> str:
    secret = "sk_" + secrets.token_urlsafe(32)
    client.secret_hash = _hash_secret(secret)
    client.secret_rotated_at = timezone.now()
    client.save(update_fields=["secret_hash", "secret_rotated_at"])
    audit_log(action=AuditAction.CLIENT_ROTATE_SECRET, client=client, actor=actor, target=client.slug)
    return secret


@transaction.atomic
def client_rotate_ingest_key(*, client: Client, actor=None) -> str:
    client.ingest_key = _new_ingest_key()
    client.save(update_fields=["ingest_key"])
    audit_log(action=AuditAction.CLIENT_ROTATE_INGEST_KEY, client=client, actor=actor, target=client.slug)
    return client.ingest_key


@transaction.atomic
def client_set_active(*, client: Client, active: bool, actor=None) -> Client:
    client.is_active = active
    client.save(update_fields=["is_active"])
    audit_log(action=AuditAction.CLIENT_ACTIVATE if active else AuditAction.CLIENT_DEACTIVATE, client=client, actor=actor,
              target=client.slug)
    return client


@transaction.atomic
def membership_add(*, client: Client, user, role: str = Role.MARKETER, actor=None) -> Membership:
    membership, _ = Membership.objects.update_or_create(client=client, user=user, defaults={"role": role})
    audit_log(action=AuditAction.MEMBER_ADD, client=client, actor=actor, target=user.get_username(), details={"role": role})
    return membership


# --- Client profile -------------------------------------------------------------------------

PROFILE_FIELDS = ("name", "mall_id", "timezone", "industry", "business_type", "region")


@transaction.atomic
def client_update(*, client: Client, actor=None, ip_address: str | None = None, **changes) -> Client:
    """Change profile fields; the audit entry records old and new values of what changed."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {', '.join(sorted(unknown))}")
    diff = {}
    for field, value in changes.items():
        old = getattr(client, field)
        if old != value:
            diff[field] = [old, value]
            setattr(client, field, value)
    if not diff:
        return client
    client.full_clean()
    client.save(update_fields=list(diff))
    audit_log(action=AuditAction.CLIENT_UPDATE, client=client, actor=actor, target=client.slug, details=diff,
              ip_address=ip_address)
    return client


# --- Members --------------------------------------------------------------------------------

class LastOwnerError(Exception):
    """A client must always keep at least one owner, or nobody could manage it."""


def _is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Role.OWNER
        and not Membership.objects.filter(client=membership.client, role=Role.OWNER)
        .exclude(pk=membership.pk).exists()
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor=None) -> Membership:
    role = Role(role)
    # Lock the client's owners so two owners demoting each other at once cannot leave none.
    list(Membership.objects.select_for_update().filter(client=membership.client, role=Role.OWNER))
    if role != Role.OWNER and _is_last_owner(membership):
        raise LastOwnerError
    old = membership.role
    if old == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log(action=AuditAction.MEMBER_ROLE, client=membership.client, actor=actor,
              target=membership.user.get_username(), details={"from": old, "to": role.value})
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor=None) -> None:
    list(Membership.objects.select_for_update().filter(client=membership.client, role=Role.OWNER))
    if _is_last_owner(membership):
        raise LastOwnerError
    username = membership.user.get_username()
    membership.delete()
    audit_log(action=AuditAction.MEMBER_REMOVE, client=membership.client, actor=actor, target=username,
              details={"role": membership.role})


# --- Invitations ----------------------------------------------------------------------------

INVITATION_TTL = timedelta(days=7)


class InvitationInvalid(Exception):
    """The link is unknown, expired or already used; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "unknown" | "expired" | "used"


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("tenants:invitation_accept", args=[token])


def invitation_send_email(*, invitation: Invitation, token: str) -> None:
    """The e-mail with the one-use link. Called by the Celery task so SMTP hiccups retry."""
    ctx = {
        "invitation": invitation,
        "client": invitation.client,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
        "role": Role(invitation.role).label,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("tenants/email/invitation_subject.txt", ctx).strip()
        body = render_to_string("tenants/email/invitation_body.txt", ctx)
    send_mail(subject, body, None, [invitation.email])


@transaction.atomic
def invitation_create(*, client: Client, email: str, role: str = Role.MARKETER, actor=None,
                      ttl: timedelta = INVITATION_TTL) -> tuple[Invitation, str]:
    """Store an invitation (only the token's hash) and e-mail its link after commit.

    Returns the invitation and the raw token (for the caller to show or test; never stored).
    """
    role = Role(role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        client=client, email=email.strip().lower(), role=role, token_hash=invitation_token_hash(token),
        invited_by=actor if getattr(actor, "is_authenticated", False) else None,
        expires_at=timezone.now() + ttl,
    )
    invitation.full_clean()
    invitation.save()
    audit_log(action=AuditAction.INVITATION_CREATE, client=client, actor=actor, target=invitation.email,
              details={"role": role.value})
    transaction.on_commit(lambda: send_invitation_email_task.delay(invitation.pk, token))
    return invitation, token


def invitation_get_valid(*, token: str) -> Invitation:
    """The open invitation for a token, or InvitationInvalid saying why not."""
    invitation = (
        Invitation.objects.select_related("client")
        .filter(token_hash=invitation_token_hash(token or "")).first()
    )
    _check_open(invitation)
    return invitation


def _check_open(invitation: Invitation | None) -> None:
    if invitation is None or not invitation.client.is_active:
        raise InvitationInvalid("unknown")
    if invitation.is_used:
        raise InvitationInvalid("used")
    if invitation.is_expired:
        raise InvitationInvalid("expired")


@transaction.atomic
def invitation_accept(*, token: str, user=None, username: str | None = None,
                      password: str | None = None) -> Membership:
    """Turn an open invitation into a membership, once.

    An existing (logged-in) user just joins; otherwise a new user is created from username and
    password. The invitation row is locked, so two clicks on the same link cannot both succeed,
    and a failure leaves no account behind (one transaction).
    """
    invitation = (
        Invitation.objects.select_for_update().select_related("client")
        .filter(token_hash=invitation_token_hash(token or "")).first()
    )
    _check_open(invitation)
    if user is None or not user.is_authenticated:
        if not username or not password:
            raise ValueError("username and password are required for a new account")
        user = get_user_model().objects.create_user(username=username, email=invitation.email,
                                                    password=password)
    existing = Membership.objects.filter(client=invitation.client, user=user).first()
    if existing is None or Role.rank(existing.role) < Role.rank(invitation.role):
        # Joining never lowers a role the user already has.
        membership, _ = Membership.objects.update_or_create(
            client=invitation.client, user=user, defaults={"role": invitation.role})
    else:
        membership = existing
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_log(action=AuditAction.INVITATION_ACCEPT, client=invitation.client, actor=user,
              target=invitation.email, details={"role": membership.role})
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor=None) -> None:
    audit_log(action=AuditAction.INVITATION_REVOKE, client=invitation.client, actor=actor, target=invitation.email)
    invitation.delete()
