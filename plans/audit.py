"""What the audit trail records of a marketer's actions on plans (tenants' AuditEntry.action)."""
from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    PLAN_CHOSEN = "plans.plan_chosen"
    DRAFT_UPDATED = "plans.draft_updated"
    RESULTS_RECORDED = "plans.results_recorded"
