"""What messaging writes to the audit trail (tenants' AuditEntry.action)."""
from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    CAFE24_CONNECT = "cafe24.connect"
    CAFE24_DISCONNECT = "cafe24.disconnect"
    CAFE24_APP_DELETED = "cafe24.app_deleted"      # the shop removed the app in its Cafe24 admin
    CAMPAIGN_CREATE = "campaign.create"
    CAMPAIGN_SCHEDULE = "campaign.schedule"        # a recurring campaign got its beat schedule
    CAMPAIGN_START = "campaign.start"
    CAMPAIGN_TEST_SEND = "campaign.test_send"
    CAMPAIGN_CANCEL = "campaign.cancel"
