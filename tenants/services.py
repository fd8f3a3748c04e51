"""Writes to tenancy data. Keyword-only, one transaction each, audited."""
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import AuditEntry, Client, Membership, Role


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
    audit_log(action="client.create", client=client, actor=actor, target=client.slug)
    return client, secret


def client_check_secret(*, client: Client, secret: str) -> bool:
    return bool(client.secret_hash) and secrets.compare_digest(client.secret_hash, _hash_secret(secret))


@transaction.atomic
def client_rotate_secret(*, client: Client, actor=None) -> str:
    secret = "sk_" + secrets.token_urlsafe(32)
    client.secret_hash = _hash_secret(secret)
    client.secret_rotated_at = timezone.now()
    client.save(update_fields=["secret_hash", "secret_rotated_at"])
    audit_log(action="client.rotate_secret", client=client, actor=actor, target=client.slug)
    return secret


@transaction.atomic
def client_rotate_ingest_key(*, client: Client, actor=None) -> str:
    client.ingest_key = _new_ingest_key()
    client.save(update_fields=["ingest_key"])
    audit_log(action="client.rotate_ingest_key", client=client, actor=actor, target=client.slug)
    return client.ingest_key


@transaction.atomic
def client_set_active(*, client: Client, active: bool, actor=None) -> Client:
    client.is_active = active
    client.save(update_fields=["is_active"])
    audit_log(action="client.activate" if active else "client.deactivate", client=client, actor=actor,
              target=client.slug)
    return client


@transaction.atomic
def membership_add(*, client: Client, user, role: str = Role.MARKETER, actor=None) -> Membership:
    membership, _ = Membership.objects.update_or_create(client=client, user=user, defaults={"role": role})
    audit_log(action="member.add", client=client, actor=actor, target=user.get_username(), details={"role": role})
    return membership
