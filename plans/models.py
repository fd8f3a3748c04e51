"""Campaign-plan recommendations: what was asked and answered, what the marketer did with it.

A ``Recommendation`` keeps the request (purpose, date, the profile it used), the validated answer
(trends + six plans) and the past plans it was grounded on, so a page or an API client can show
the same answer later. ``PlanFeedback`` records choices and re-asks (the seed's positive and
negative signals). ``PlanDraft`` is the campaign draft a chosen plan becomes, and later its
measured results: predicted vs actual ROI, and the client's own past plans for the next answer.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Client

from .engine.schema import CELLS, PURPOSES, cell_key

PURPOSE_CHOICES = [(k, v) for k, v in PURPOSES.items()]
PLAN_KEY_CHOICES = [(cell_key(b, c), cell_key(b, c)) for b, c in CELLS]


class Recommendation(models.Model):
    class Engine(models.TextChoices):
        GEMINI = "gemini", "Gemini"
        OFFLINE = "offline", _("오프라인")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="plan_recommendations")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    purpose = models.CharField(_("목적"), max_length=20, choices=PURPOSE_CHOICES)
    on_date = models.DateField(_("기준 날짜"))
    # The re-ask chain: "다시 추천받기" points at the answer it replaces.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reasks")
    profile = models.JSONField(default=dict)          # industry, region, shop size used
    engine = models.CharField(max_length=10, choices=Engine.choices)
    fallback_reason = models.CharField(max_length=300, blank=True)
    answer = models.JSONField()                       # {"trends": {...}, "plans": [6]}
    similar = models.JSONField(default=dict)          # cell -> past plans with figures
    occasions = models.JSONField(default=list)
    cache_hit = models.BooleanField(default=False)
    elapsed_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"])]

    def plan(self, key: str) -> dict | None:
        return next((p for p in self.answer.get("plans", []) if cell_key(p["budget"], p["channel"]) == key), None)


class PlanFeedback(models.Model):
    class Kind(models.TextChoices):
        CHOSEN = "chosen", _("선택")
        REASK = "reask", _("다시 추천")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="plan_feedback")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    plan_key = models.CharField(max_length=20, choices=PLAN_KEY_CHOICES, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class PlanDraft(models.Model):
    """A campaign draft pre-filled from a chosen plan. It lives here, not in messaging: a
    messaging campaign needs an audience and a message body (and is checked for sending) at
    creation, which a plan does not have yet. The draft page links to a new messaging campaign
    with the plan's name and text; ``messaging_campaign_id`` is kept for linking one later."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("초안")
        FINISHED = "finished", _("종료(성과 입력됨)")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="plan_drafts")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="drafts")
    plan_key = models.CharField(max_length=20, choices=PLAN_KEY_CHOICES)
    plan = models.JSONField()                         # the chosen plan as recommended (predictions)
    name = models.CharField(_("캠페인 이름"), max_length=100)
    prize = models.CharField(_("경품"), max_length=40)
    participation = models.CharField(_("참여 방법"), max_length=300)
    budget_krw = models.PositiveIntegerField(_("예산(원)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    messaging_campaign_id = models.BigIntegerField(null=True, blank=True)
    # Measured results, entered when the campaign has run.
    actual_participants = models.PositiveIntegerField(null=True, blank=True)
    actual_cost = models.PositiveIntegerField(null=True, blank=True)
    actual_revenue = models.PositiveBigIntegerField(null=True, blank=True)
    results_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def predicted_roi(self) -> int:
        return int(self.plan.get("roi", 0))

    @property
    def actual_roi(self) -> int | None:
        if not self.actual_cost or self.actual_revenue is None:
            return None
        return round((self.actual_revenue - self.actual_cost) * 100 / self.actual_cost)
