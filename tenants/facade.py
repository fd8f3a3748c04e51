"""What other apps may call in tenants besides its models (foreign keys, the Client) and the
request plumbing in ``tenants.access``: the audit trail, the caller's address, creating a shop
and its members (the demo setup), and plugging a usage figure into the tenant pages."""
from __future__ import annotations

from .net import client_ip
from .privacy import can_see_pii, mask_customer_key, mask_member_id, member_id_shown
from .services import audit_log, client_create, membership_add
from .usage import provide_event_counts

__all__ = ["audit_log", "can_see_pii", "client_create", "client_ip", "mask_customer_key", "mask_member_id",
           "member_id_shown", "membership_add", "provide_event_counts"]
