"""Who may see a shopper's identity, and what everyone else sees (README: viewers see masked ids).

The only personal datum the analytics side shows is the Cafe24 member id (phone numbers never
reach ClickHouse; contacts stay in messaging, masked there). Owners and marketers act on
audiences and see it whole; a viewer reads reports and sees ``me******01``: enough to tell rows
apart, not to find the shopper in the shop's admin. Every surface that prints a member id (ask
answers, saved-question results, segments, the customers pages and API, customer Q&A) decides with
``can_see_pii`` and masks with these functions, so the rule lives here once.
"""
from __future__ import annotations

import re

from .models import Role

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def can_see_pii(membership) -> bool:
    """Marketers and owners see member ids whole; viewers (and no membership at all) do not."""
    return membership is not None and membership.allows(Role.MARKETER)


def mask_member_id(member_id: str | None) -> str:
    """'member0001' -> 'me******01'; '' stays '' (a visitor who never logged in)."""
    if not member_id:
        return ""
    s = str(member_id)
    if len(s) <= 4:
        return s[0] + "*" * (len(s) - 1)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def mask_customer_key(key: str | None) -> str:
    """A customer key is a member id, or a guest's browser uuid: the uuid is no identity (the
    reports show visitor uuids to everyone), the member id is masked."""
    if not key:
        return ""
    return str(key) if _UUID.match(str(key)) else mask_member_id(key)


def member_id_shown(member_id: str | None, *, pii: bool) -> str:
    return (member_id or "") if pii else mask_member_id(member_id)
