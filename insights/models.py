"""Saved questions and their runs. Every row belongs to one client (DESIGN.md §3.3)."""
from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Client
from untitle.crypto import EncryptedTextField


class SavedQuery(models.Model):
    """A question a marketer wants to ask again: its wording, the IR it became, a schedule."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="saved_queries")
    name = models.CharField(_("이름"), max_length=120)
    question = models.TextField(_("질문"), blank=True)
    # The IR is what runs: re-parsing the question could answer differently once a model changes.
    ir = models.JSONField(_("쿼리 규칙"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="saved_queries")
    # Five-field cron ("m h dom mon dow") in the client's timezone; empty = run by hand only.
    schedule = models.CharField(_("일정(cron)"), max_length=100, blank=True)
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("저장된 질문")
        verbose_name_plural = _("저장된 질문")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="uniq_saved_query_name")]

    def __str__(self) -> str:
        return self.name


class QueryRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("대기 중")
        RUNNING = "running", _("실행 중")
        SUCCEEDED = "succeeded", _("완료")
        FAILED = "failed", _("실패")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("수동")
        SCHEDULE = "schedule", _("일정")

    # client is denormalised from saved_query so every read can filter on the tenant directly.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="query_runs")
    saved_query = models.ForeignKey(SavedQuery, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(_("상태"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("진행률"), default=0)
    trigger = models.CharField(_("실행 방식"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.BigIntegerField(default=0)
    row_count = models.BigIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    kind = models.CharField(max_length=1, blank=True)
    summary = models.TextField(blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    # Small answers live here ({"columns", "rows"}, capped); a large audience is kept whole in a
    # ClickHouse table named after the run, and result then holds only its first rows.
    result = models.JSONField(null=True, blank=True)
    result_table = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("질문 실행")
        verbose_name_plural = _("질문 실행")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "saved_query", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.saved_query} #{self.pk} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Segment(models.Model):
    """A saved audience: the builder's rule tree, the IR it compiles to, and how it refreshes.

    Membership is not kept here: each refresh writes a versioned snapshot of the matching
    visitors to the ClickHouse table ``segment_member`` and one SegmentSnapshot row here.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("이름"), max_length=120)
    description = models.TextField(_("설명"), blank=True)
    # The rule tree is what the marketer edits; the IR is what runs (kept so a catalog change
    # never silently changes a saved audience).
    rules = models.JSONField(_("규칙"))
    ir = models.JSONField(_("쿼리 규칙"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="segments")
    # Five-field cron in the client's timezone; default daily at 06:00. Empty = by hand only.
    schedule = models.CharField(_("갱신 일정(cron)"), max_length=100, blank=True, default="0 6 * * *")
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    # Push each refresh to this URL, signed with HMAC-SHA256 (webhook_secret); empty = no push.
    webhook_url = models.URLField(_("웹훅 URL"), blank=True, max_length=500)
    # The HMAC key receivers verify with: a secret, so encrypted at rest like every other (untitle/crypto.py).
    webhook_secret = EncryptedTextField(blank=True)
    latest_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("세그먼트")
        verbose_name_plural = _("세그먼트")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="uniq_segment_name")]

    def __str__(self) -> str:
        return self.name


class SegmentSnapshot(models.Model):
    """One refresh of a segment: its size and who entered / left since the previous version."""

    class Status(models.TextChoices):
        RUNNING = "running", _("실행 중")
        SUCCEEDED = "succeeded", _("완료")
        FAILED = "failed", _("실패")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="segment_snapshots")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField()
    status = models.CharField(_("상태"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    size = models.BigIntegerField(_("인원"), default=0)
    members = models.BigIntegerField(_("회원 수"), default=0)
    entered = models.BigIntegerField(_("신규 진입"), default=0)
    left = models.BigIntegerField(_("이탈"), default=0)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    trigger = models.CharField(max_length=16, default="manual")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        verbose_name = _("세그먼트 스냅샷")
        verbose_name_plural = _("세그먼트 스냅샷")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["segment", "version"], name="uniq_segment_version")]
        indexes = [models.Index(fields=["client", "segment", "-version"])]

    def __str__(self) -> str:
        return f"{self.segment} v{self.version}"
