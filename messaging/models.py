"""Cafe24 connection, push subscriptions, member contacts, campaigns and their deliveries.

Every row carries its ``client`` (DESIGN §3.3). Secrets and PII are EncryptedTextField.
"""
import uuid as uuid_mod

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Client

from .crypto import EncryptedTextField


class Cafe24Connection(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("연결됨")
        REVOKED = "revoked", _("재연결 필요")
        INACTIVE = "inactive", _("연결 해제됨")

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="cafe24_connection")
    mall_id = models.CharField(max_length=60)
    status = models.CharField(_("상태"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    script_no = models.CharField(max_length=40, blank=True)
    sender_no = models.PositiveIntegerField(null=True, blank=True)
    sender_number = models.CharField(_("발신 번호"), max_length=40, blank=True)
    connected_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Cafe24 연결")
        verbose_name_plural = _("Cafe24 연결")

    def __str__(self) -> str:
        return f"{self.mall_id} ({self.status})"


class PushSubscription(models.Model):
    class Kind(models.TextChoices):
        FCM = "fcm", "FCM"
        WEBPUSH = "webpush", "Web Push"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="push_subscriptions")
    uuid = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FCM)
    token = EncryptedTextField()
    # sha256 of the token: Fernet output differs every time, so uniqueness needs a stable hash.
    token_hash = models.CharField(max_length=64)
    # Advertising consent is separate from the browser's notification permission (KISA guide).
    ad_consent = models.BooleanField(default=False)
    night_consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "token_hash"], name="uniq_push_token")]
        indexes = [models.Index(fields=["client", "uuid", "is_active"])]


class MemberContact(models.Model):
    """A cached copy of Cafe24's customersprivacy row: consent and contact, PII encrypted."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="member_contacts")
    member_id = models.CharField(max_length=100)
    sms_consent = models.BooleanField(default=False)
    night_consent = models.BooleanField(default=False)
    cellphone = EncryptedTextField(blank=True)
    name = EncryptedTextField(blank=True)
    fetched_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "member_id"], name="uniq_member_contact")]


class Campaign(models.Model):
    class Channel(models.TextChoices):
        PUSH = "push", _("웹 푸시")
        SMS = "sms", _("문자(SMS/LMS)")
        # The demo's channel: nothing leaves the server (settings.SIMULATED_CHANNEL, embedded only).
        SIMULATED = "simulated", _("시뮬레이션 (데모 전용)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("초안")
        SCHEDULED = "scheduled", _("예약됨")
        SENDING = "sending", _("발송 중")
        SENT = "sent", _("발송 완료")
        FAILED = "failed", _("실패")
        CANCELLED = "cancelled", _("취소됨")

    class Schedule(models.TextChoices):
        NOW = "now", _("지금")
        AT = "at", _("예약")
        RECURRING = "recurring", _("반복")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("이름"), max_length=120)
    channel = models.CharField(_("채널"), max_length=10, choices=Channel.choices)
    saved_query = models.ForeignKey("insights.SavedQuery", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="campaigns")
    # The Segment model belongs to the audience app; referenced by id so either can move.
    segment_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(_("제목"), max_length=120, blank=True)
    link_url = models.URLField(_("링크"), max_length=500, blank=True)
    is_ad = models.BooleanField(_("광고성 메시지"), default=True)
    sender_name = models.CharField(_("보내는 사람"), max_length=60, blank=True)
    contact = models.CharField(_("연락처"), max_length=60, blank=True)
    optout_text = models.CharField(_("수신거부 안내"), max_length=120, blank=True)
    schedule_kind = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.NOW)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True)
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    holdout_pct = models.PositiveSmallIntegerField(_("대조군 비율(%)"), default=10)
    daily_cap = models.PositiveSmallIntegerField(_("회원당 하루 최대"), default=2)
    attribution_days = models.PositiveSmallIntegerField(_("기여 기간(일)"), default=7)
    status = models.CharField(_("상태"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("캠페인")
        verbose_name_plural = _("캠페인")

    def __str__(self) -> str:
        return self.name


class CampaignVariant(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=8)  # "A", "B", ...
    body = models.TextField(_("내용"))
    title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="uniq_campaign_variant")]


class Delivery(models.Model):
    """One message to one recipient. The unique constraint is what makes sends exactly-once:
    retries, a resumed worker and a second worker all find the existing row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("대기")
        SENDING = "sending", _("발송 중")
        SENT = "sent", _("발송됨")
        FAILED = "failed", _("실패")
        HELD = "held", _("야간 보류")
        SUPPRESSED = "suppressed", _("제외")
        HOLDOUT = "holdout", _("대조군")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    recipient_key = models.CharField(max_length=120)  # "<run>:<uuid>" so a recurring run is new
    variant = models.CharField(max_length=8)            # variant key or "holdout"
    uuid = models.UUIDField(null=True, blank=True)
    member_id = models.CharField(max_length=100, blank=True)
    push_subscription = models.ForeignKey(PushSubscription, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    tracking_id = models.CharField(max_length=32, default="", db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_response = models.JSONField(null=True, blank=True)
    # The provider's id of the accepted message (FCM's "projects/*/messages/*" name), stored the
    # moment the answer arrives: a row of a killed wave that has one was delivered, not "interrupted".
    provider_message_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "recipient_key", "variant"],
                                               name="uniq_delivery")]
        # (campaign, status, id): the claim reads pending rows in id order and stops at the wave size;
        # without id in the index every claim sorted all pending rows (slower as a campaign grows).
        indexes = [models.Index(fields=["campaign", "status", "id"], name="delivery_claim_idx"),
                   models.Index(fields=["client", "member_id", "sent_at"])]


class TestRecipient(models.Model):
    """Where one marketer's "나에게 테스트 발송" may go: a browser they subscribed themselves while
    signed in (push), or the member id they registered (SMS). A test send reaches nothing else."""

    __test__ = False  # "Test..." is the product's word here, not a pytest class

    class Kind(models.TextChoices):
        DEVICE = "device", _("내 브라우저")
        MEMBER = "member", _("내 회원 아이디")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    push_subscription = models.ForeignKey(PushSubscription, null=True, blank=True, on_delete=models.CASCADE,
                                          related_name="+")
    member_id = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user", "push_subscription"], name="uniq_test_device",
                                    condition=models.Q(kind="device")),
            models.UniqueConstraint(fields=["client", "user", "member_id"], name="uniq_test_member",
                                    condition=models.Q(kind="member")),
        ]


def new_tracking_id() -> str:
    return uuid_mod.uuid4().hex[:16]
