"""The ingestion hook: after a flushed batch, queue ONE task that rescores who ordered.

Runs inside the flusher, so it only scans the batch and enqueues; it never reads a database.
Enqueueing does not retry: if the broker is down, the nightly refit still rescores everyone.
"""
from __future__ import annotations

import logging

from events.catalog import Code

from .tasks import score_recent_orders as score_recent_orders_task

log = logging.getLogger(__name__)

ORDER_CODES = (int(Code.ORDER_COMPLETE), int(Code.ORDER_CANCEL))


def orders_by_client(records: list[dict]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, set]] = {}
    for rec in records:
        if rec.get("event_type") not in ORDER_CODES:
            continue
        who = out.setdefault(str(rec["client_id"]), {"login_ids": set(), "uuids": set()})
        if rec.get("login_id"):
            who["login_ids"].add(rec["login_id"])
        else:
            who["uuids"].add(str(rec["uuid"]))
    return {cid: {k: sorted(v) for k, v in who.items()} for cid, who in out.items()}


def on_events_inserted(inserted) -> None:
    """``inserted`` is the flusher's committed buffer.Batch; only its order entries are parsed."""
    batch = orders_by_client(inserted.records_of(ORDER_CODES))
    if not batch:
        return
    try:
        score_recent_orders_task.apply_async((batch,), retry=False)
    except Exception:
        log.warning("customers: could not queue rescoring for %d client(s)", len(batch), exc_info=True)
