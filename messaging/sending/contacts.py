"""Members' SMS contacts and consent from Cafe24 (customersprivacy), cached encrypted for a day."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone as dj_timezone

from tenants.models import Client

from ..connection.services import cafe24_api
from ..models import MemberContact

CONTACT_TTL = timedelta(hours=24)


def member_contacts(*, client: Client, member_ids: list[str]) -> dict[str, MemberContact]:
    member_ids = sorted({m for m in member_ids if m})
    now = dj_timezone.now()
    have = {c.member_id: c for c in MemberContact.objects.filter(client=client, member_id__in=member_ids,
                                                                fetched_at__gte=now - CONTACT_TTL)}
    missing = [m for m in member_ids if m not in have]
    if missing:
        rows = cafe24_api(client=client).customers_privacy(missing)
        for row in rows:
            mid = str(row.get("member_id") or "")
            if not mid:
                continue
            contact, _c = MemberContact.objects.update_or_create(
                client=client, member_id=mid,
                defaults={"sms_consent": row.get("sms") == "T", "cellphone": row.get("cellphone") or "",
                          "name": row.get("name") or "", "fetched_at": now})
            have[mid] = contact
    return have
