"""What insights writes to the audit trail (tenants' AuditEntry.action): one name per act."""
from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    QUERY_CREATE = "query.create"
    QUERY_UPDATE = "query.update"
    QUERY_DELETE = "query.delete"
    QUERY_RUN = "query.run"
    SEGMENT_CREATE = "segment.create"
    SEGMENT_UPDATE = "segment.update"
    SEGMENT_DELETE = "segment.delete"
    SEGMENT_REFRESH = "segment.refresh"
    SEGMENT_EXPORT = "segment.export"
    SEGMENT_WEBHOOK = "segment.webhook"
