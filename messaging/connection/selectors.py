"""Reads of the shop's Cafe24 connection."""
from __future__ import annotations

from tenants.models import Client

from ..models import Cafe24Connection


def connection_get(*, client: Client) -> Cafe24Connection | None:
    return Cafe24Connection.objects.filter(client=client).first()
