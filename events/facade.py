"""What other apps may call in events (DESIGN.md §2): reads and writes of the event store that
are not a marketer's query (those go through insights' compiler and guard).

Plain values cross the boundary (ids, strings, dicts of rows); the store client itself
(``events.clickhouse``) and the catalog (``events.catalog``) are public too.
"""
from __future__ import annotations

import uuid as uuid_mod
from typing import Iterable

from . import clickhouse, sql
from .collector.origins import ClientInfo, client_info_from
from .ingest.rows import EventInvalid, normalize
from .ingest.store import insert_records

__all__ = ["ClientInfo", "EventInvalid", "client_info_from", "event_counts", "latest_visitor_of_member",
           "member_ids_of", "order_recorded", "record_events"]

_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def member_ids_of(*, client_id: int, uuids: Iterable, settings_: dict | None = None) -> dict[str, str]:
    """{visitor uuid: Cafe24 member id} for those of ``uuids`` who ever logged in or signed up.

    Values that are not UUIDs are skipped (they cannot be visitors). ``settings_`` tightens the
    read (a marketer-triggered read passes the insights limits).
    """
    ids = []
    for u in uuids:
        try:
            ids.append(str(uuid_mod.UUID(str(u))))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = clickhouse.query(sql.MEMBER_IDS_OF_UUIDS, {"client_id": int(client_id), "uuids": ids},
                            settings_=settings_)
    return {str(u): m for u, m in rows.rows if m}


def latest_visitor_of_member(*, client_id: int, member_id: str) -> str | None:
    rows = clickhouse.query(sql.LATEST_VISITOR_OF_MEMBER, {"client_id": int(client_id), "member_id": member_id})
    value = rows.rows[0][0] if rows.rows else None
    return str(value) if value and str(value) != _NIL_UUID else None


def order_recorded(*, client_id: int, order_id: str) -> bool:
    rows = clickhouse.query(sql.ORDER_RECORDED, {"client_id": int(client_id), "order_id": order_id}).rows
    return bool(rows and rows[0][0])


def record_events(*, client_id: int, events: Iterable[dict], history: bool = True) -> int:
    """Validate and store server-side events (e.g. Cafe24's order webhook) right away, deduplicated
    by ``event_id`` like everything else; returns how many were new. Raises ``EventInvalid``."""
    return insert_records([normalize(int(client_id), e, history=history) for e in events])


def event_counts(*, client_ids: Iterable[int], days: int) -> dict[int, int]:
    """Events per client over the last ``days`` days, in one query (the operators' admin and the
    dashboard show it). Clients without events are absent. Raises when the store cannot answer."""
    ids = [int(i) for i in client_ids]
    if not ids:
        return {}
    rows = clickhouse.query(
        "SELECT client_id, count() FROM event WHERE client_id IN {ids:Array(Int32)} "
        "AND created_at >= now() - toIntervalDay({days:UInt16}) GROUP BY client_id",
        {"ids": ids, "days": int(days)},
    )
    return {int(cid): int(n) for cid, n in rows.rows}
