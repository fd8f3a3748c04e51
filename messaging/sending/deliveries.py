"""Delivery rows during a send: claimed a wave at a time, their outcomes stored in one statement."""
from __future__ import annotations

import json

from django.db import connection, transaction
from django.db.models import F

from ..models import Campaign, Delivery


def claim_wave(campaign: Campaign, n: int, now) -> list[Delivery]:
    """Up to ``n`` due pending rows, marked "sending"; rows another worker holds are skipped."""
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(campaign=campaign, status=Delivery.Status.PENDING, not_before__lte=now)
                    .select_related("push_subscription").order_by("id")[:n])
        if rows:
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return rows


def store_outcomes(rows: list[Delivery]) -> None:
    """Store each row's outcome. On Postgres one UPDATE ... FROM (VALUES ...) per wave: Django's
    bulk_update builds a CASE per column and row, which cost more than the sends themselves."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(rows, ["status", "reason", "sent_at", "provider_response", "tracking_id"],
                                     batch_size=1000)
        return
    values, params = [], []
    for d in rows:
        values.append("(%s, %s, %s, %s::timestamptz, %s::jsonb, %s)")
        params += [d.pk, d.status, d.reason or "", d.sent_at,
                   None if d.provider_response is None else json.dumps(d.provider_response), d.tracking_id]
    table = Delivery._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS d SET status = v.status, reason = v.reason, sent_at = v.sent_at, "
            f"provider_response = v.resp, tracking_id = v.tid "
            f"FROM (VALUES {', '.join(values)}) AS v(id, status, reason, sent_at, resp, tid) WHERE d.id = v.id",
            params)
