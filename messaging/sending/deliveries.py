"""Delivery rows during a send: claimed a wave at a time, their outcomes stored as they arrive."""
from __future__ import annotations

import json

from django.db import connection, transaction
from django.db.models import F, Q

from ..models import Campaign, Delivery

_FIELDS = ["status", "reason", "sent_at", "provider_response", "tracking_id", "provider_message_id", "not_before"]


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


def reconcile_stale(campaign: Campaign, before) -> None:
    """Rows a dead worker left "sending": the provider's message id says it accepted them (sent);
    without one nobody knows, and sending twice is worse than not at all (failed/interrupted)."""
    stale = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENDING, claimed_at__lt=before)
    stale.exclude(provider_message_id="").update(status=Delivery.Status.SENT,
                                                 sent_at=F("claimed_at"), reason="")
    stale.filter(Q(provider_message_id="")).update(status=Delivery.Status.FAILED, reason="interrupted")


def store_outcomes(rows: list[Delivery]) -> None:
    """Store each row's outcome. On Postgres one UPDATE ... FROM (VALUES ...) per call: Django's
    bulk_update builds a CASE per column and row, which cost more than the sends themselves.
    Autocommit outside a transaction, so what is stored survives a worker killed right after."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(rows, _FIELDS, batch_size=1000)
        return
    values, params = [], []
    for d in rows:
        values.append("(%s, %s, %s, %s::timestamptz, %s::jsonb, %s, %s, %s::timestamptz)")
        params += [d.pk, d.status, d.reason or "", d.sent_at,
                   None if d.provider_response is None else json.dumps(d.provider_response), d.tracking_id,
                   d.provider_message_id or "", d.not_before]
    table = Delivery._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS d SET status = v.status, reason = v.reason, sent_at = v.sent_at, "
            f"provider_response = v.resp, tracking_id = v.tid, provider_message_id = v.mid, not_before = v.nb "
            f"FROM (VALUES {', '.join(values)}) AS v(id, status, reason, sent_at, resp, tid, mid, nb) WHERE d.id = v.id",
            params)
