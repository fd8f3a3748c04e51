"""Traffic spike and drop alerts (issue 8). Data and invariants only; writes in services.py."""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Client
from untitle.crypto import EncryptedTextField


class Alert(models.Model):
    """One surge or drop of one series while it lasts: scans update it, never duplicate it."""

    class Level(models.TextChoices):
        CANDIDATE = "CANDIDATE", _("후보")
        SPIKE = "SPIKE", _("급등")
        DROP = "DROP", _("급감")

    class State(models.TextChoices):
        OPEN = "open", _("진행 중")
        RESOLVED = "resolved", _("종료")
        EXPIRED = "expired", _("후보 소멸")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alerts")
    entity_kind = models.CharField(max_length=20)      # shop / product / category / keyword
    entity_id = models.CharField(max_length=200, blank=True)
    metric = models.CharField(max_length=20)           # visitors / views / cart_adds / orders / searches
    level = models.CharField(max_length=10, choices=Level.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    start_bucket = models.DateTimeField()
    last_bucket = models.DateTimeField()
    observed = models.FloatField()
    expected = models.FloatField()          # frozen at opening: the level a long surge is judged against
    peak = models.FloatField()
    z = models.FloatField(default=0)
    baselines = models.JSONField(default=dict)       # {"short", "yesterday", "week"} at the last scan
    quiet_scans = models.PositiveSmallIntegerField(default=0)
    streak = models.PositiveSmallIntegerField(default=1)
    scans = models.PositiveIntegerField(default=1)
    notified_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)   # the last scan that moved it (idempotent re-runs)
    muted = models.BooleanField(default=False)       # a mute rule covered it when it alerted
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    explanation = models.TextField(blank=True)
    explanation_source = models.CharField(max_length=20, blank=True)   # gemini / offline / cache
    drilldown = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_bucket", "-id"]
        indexes = [models.Index(fields=["client", "state", "entity_kind", "entity_id", "metric"])]
        constraints = [
            # one surge = one row: at most one open alert per series
            models.UniqueConstraint(fields=["client", "entity_kind", "entity_id", "metric"],
                                    condition=models.Q(state="open"), name="alerts_one_open_per_series"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.entity_label} {self.metric}"

    @property
    def entity_label(self) -> str:
        return f"{self.entity_kind}:{self.entity_id}" if self.entity_id else self.entity_kind

    @property
    def is_alerting(self) -> bool:
        return self.level in (self.Level.SPIKE, self.Level.DROP)


class AlertMute(models.Model):
    """Silence notifications for a series (or all series of a kind / metric) until a time."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alert_mutes")
    entity_kind = models.CharField(max_length=20, blank=True)    # blank = any
    entity_id = models.CharField(max_length=200, blank=True)     # blank = any
    metric = models.CharField(max_length=20, blank=True)         # blank = any
    until = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def covers(self, *, kind: str, entity: str, metric: str, at) -> bool:
        return (at < self.until and self.entity_kind in ("", kind) and self.entity_id in ("", entity)
                and self.metric in ("", metric))


class NotificationSettings(models.Model):
    """Where a client's alerts go besides the in-app list."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="alert_settings")
    email_enabled = models.BooleanField(default=False)
    email_recipients = models.JSONField(default=list, blank=True)
    webhook_enabled = models.BooleanField(default=False)
    webhook_url = models.URLField(blank=True)
    webhook_secret = EncryptedTextField(blank=True)   # HMAC-SHA256 key for X-Untitle-Signature, encrypted at rest
    updated_at = models.DateTimeField(auto_now=True)


class Notification(models.Model):
    """One delivery of one alert on one channel (the in-app badge counts unread in-app rows)."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("앱 알림")
        EMAIL = "email", _("이메일")
        WEBHOOK = "webhook", _("웹훅")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alert_notifications")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    ok = models.BooleanField(default=True)
    detail = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["alert", "channel"], name="alerts_one_delivery_per_channel")]
