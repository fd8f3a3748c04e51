"""What the audit trail records of a marketer's actions on alerts (tenants' AuditEntry.action)."""
from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    ACKNOWLEDGE = "alert.acknowledge"
    MUTE = "alert.mute"
    UNMUTE = "alert.unmute"
    SETTINGS = "alert.settings"
