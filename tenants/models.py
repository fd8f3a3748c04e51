"""Tenancy: a Client is one Cafe24 shop; marketers reach it through a Membership."""
import zoneinfo
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("알 수 없는 시간대입니다: %(tz)s"), params={"tz": value})


class Role(models.TextChoices):
    # Ordered from least to most power; see Role.rank.
    VIEWER = "viewer", _("뷰어")
    MARKETER = "marketer", _("마케터")
    OWNER = "owner", _("소유자")

    @classmethod
    def rank(cls, role: str) -> int:
        return [cls.VIEWER, cls.MARKETER, cls.OWNER].index(role)


class Client(models.Model):
    name = models.CharField(_("이름"), max_length=200)
    slug = models.SlugField(_("슬러그"), max_length=60, unique=True)
    mall_id = models.CharField(_("Cafe24 몰 ID"), max_length=60, unique=True, null=True, blank=True)
    timezone = models.CharField(_("시간대"), max_length=64, default="Asia/Seoul", validators=[validate_timezone])
    industry = models.CharField(_("업종"), max_length=100, blank=True)
    business_type = models.CharField(_("사업 형태"), max_length=100, blank=True)
    region = models.CharField(_("지역"), max_length=100, blank=True)
    is_active = models.BooleanField(_("활성"), default=True)
    # Public: it is printed in the storefront's script tag.
    ingest_key = models.CharField(_("수집 키"), max_length=64, unique=True)
    # Only a hash of the secret is kept; the secret itself is shown once when (re)issued.
    secret_hash = models.CharField(max_length=128, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    # Storefront origins allowed to send events (empty = the mall's own cafe24 domains only).
    allowed_origins = models.JSONField(_("허용 출처"), default=list, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        verbose_name = _("고객사")
        verbose_name_plural = _("고객사")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today's date where the shop is: every "no period stated" window starts from it."""
        return dj_timezone.now().astimezone(self.tzinfo).date()


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("역할"), max_length=16, choices=Role.choices, default=Role.MARKETER)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="uniq_membership")]
        verbose_name = _("멤버십")
        verbose_name_plural = _("멤버십")

    def __str__(self) -> str:
        return f"{self.user} @ {self.client} ({self.role})"

    def allows(self, role: str) -> bool:
        return Role.rank(self.role) >= Role.rank(role)


class Invitation(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("이메일"))
    role = models.CharField(_("역할"), max_length=16, choices=Role.choices, default=Role.MARKETER)
    # sha256 of the token in the e-mailed link; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("초대")
        verbose_name_plural = _("초대")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.client}"

    @property
    def is_expired(self) -> bool:
        return dj_timezone.now() >= self.expires_at

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None


class AuditEntry(models.Model):
    """Who did what to which tenant's data. Written by services, never edited."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(_("동작"), max_length=64, db_index=True)
    target = models.CharField(_("대상"), max_length=200, blank=True)
    details = models.JSONField(_("세부"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        verbose_name = _("감사 기록")
        verbose_name_plural = _("감사 기록")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
