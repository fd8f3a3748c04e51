"""Customer segments: per-client settings, fitted model versions, profiles and their moves."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Client


class CustomerSettings(models.Model):
    """Per-client choices for segmentation (kept here, not on tenants.Client)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="customer_settings")
    # Guests (no login_id) are keyed by their browser uuid only when the shop asks for it:
    # a uuid is a browser, not a person, so by default only members are customers.
    include_guests = models.BooleanField(_("비회원 포함"), default=False)
    # 0 = pick the component count by lowest BIC in [2..6]
    n_components = models.PositiveSmallIntegerField(_("군집 수"), default=4)
    # {"vip": "골드", ...}: display names per segment code; missing codes use the defaults
    segment_names = models.JSONField(default=dict, blank=True)


class CustomerModel(models.Model):
    """One fitted version: scaler + mixture parameters as JSON (never pickle) and fit metrics."""

    class Reason(models.TextChoices):
        REFIT = "refit", _("정기 재학습")
        MANUAL = "manual", _("수동 재학습")
        FIRST = "first", _("첫 학습")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="customer_models")
    version = models.PositiveIntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.REFIT)
    as_of = models.DateTimeField()
    params = models.JSONField()
    metrics = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "version"], name="customer_model_version_unique")]
        ordering = ["-version"]


class CustomerProfile(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="customer_profiles")
    customer_key = models.CharField(max_length=128)
    is_member = models.BooleanField(default=True)
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary = models.BigIntegerField()
    first_order_at = models.DateTimeField(null=True)
    last_order_at = models.DateTimeField()
    segment = models.CharField(max_length=16)
    probabilities = models.JSONField(default=dict)
    model_version = models.PositiveIntegerField()
    # Predictions (customers/predict): null until the shop has enough customers to fit them
    repurchase_probability_30d = models.FloatField(null=True)
    repurchase_probability_90d = models.FloatField(null=True)
    expected_revenue_90d = models.FloatField(null=True)  # won
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "customer_key"], name="customer_profile_unique")]
        indexes = [models.Index(fields=["client", "segment"]), models.Index(fields=["client", "-monetary"])]


class SegmentMove(models.Model):
    """A customer changed segment: when, from/to, under which model version and why."""

    class Reason(models.TextChoices):
        REFIT = "refit", _("재학습")
        ORDER = "order", _("주문")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="segment_moves")
    customer_key = models.CharField(max_length=128)
    from_segment = models.CharField(max_length=16, blank=True)  # "" = new customer
    to_segment = models.CharField(max_length=16)
    model_version = models.PositiveIntegerField()
    reason = models.CharField(max_length=8, choices=Reason.choices)
    # r/f/m before and after, so "why did this customer move" has an answer
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "customer_key"]), models.Index(fields=["client", "created_at"])]
        ordering = ["-created_at", "-id"]
