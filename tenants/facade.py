"""What other apps may call in tenants besides its models (foreign keys, the Client) and the
request plumbing in ``tenants.access``: the audit trail and the caller's address."""
from __future__ import annotations

from .net import client_ip
from .services import audit_log

__all__ = ["audit_log", "client_ip"]
