"""Members' SMS consent (and, when a message needs it, their name) from Cafe24, cached for a day.

Consent comes from the customers list endpoint, which takes up to a hundred comma-separated
member ids a call and answers ``sms`` / ``news_mail``
(https://developers.cafe24.com/docs/api/admin/#retrieve-a-list-of-customers). ``customersprivacy``
documents ``member_id`` as ONE id, so names are read there one member at a time, only for
messages that use ``{{name}}`` (the row's phone number is kept with it, encrypted).
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone as dj_timezone

from tenants.models import Client

from ..connection.services import cafe24_api
from ..models import MemberContact

CONTACT_TTL = timedelta(hours=24)


def member_contacts(*, client: Client, member_ids: list[str], with_names: bool = False) -> dict[str, MemberContact]:
    """Fresh contacts of these members; members Cafe24 does not know are absent."""
    member_ids = sorted({m for m in member_ids if m})
    now = dj_timezone.now()
    have = {c.member_id: c for c in MemberContact.objects.filter(client=client, member_id__in=member_ids,
                                                                fetched_at__gte=now - CONTACT_TTL)}
    missing = [m for m in member_ids if m not in have]
    nameless = [m for m in member_ids if with_names and m in have and not have[m].name]
    if not missing and not nameless:
        return have
    api = cafe24_api(client=client)
    try:
        for row in api.customers(missing) if missing else []:
            mid = str(row.get("member_id") or "")
            if mid not in missing:
                continue
            contact, _c = MemberContact.objects.update_or_create(
                client=client, member_id=mid, defaults={"sms_consent": row.get("sms") == "T", "fetched_at": now})
            have[mid] = contact
            if with_names:
                nameless.append(mid)
        for mid in nameless:
            row = api.customer_privacy(mid)
            if row is None:
                continue
            contact = have[mid]
            contact.name, contact.cellphone = row.get("name") or "", row.get("cellphone") or ""
            contact.save(update_fields=["name", "cellphone"])
    finally:
        api.http.close()
    return have
