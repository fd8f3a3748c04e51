"""The audit trail's names for what customer segments record (tenants.facade.audit_log)."""
from enum import StrEnum


class AuditAction(StrEnum):
    MODEL_FIT = "customers.model_fit"
    REFIT_REQUESTED = "customers.refit_requested"
    SETTINGS_UPDATE = "customers.settings_update"
