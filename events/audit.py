"""The audit trail's names for what events records (tenants.facade.audit_log)."""
from enum import StrEnum


class AuditAction(StrEnum):
    EXPORT = "events.export"    # a raw event download (page or API)
    IMPORT = "events.import"    # manage.py import_events
