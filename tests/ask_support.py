"""Shop behaviour written straight into the real chDB for the ask / saved-query tests.

Times are given in the shop's local time (Asia/Seoul) and stored as UTC, like the collector does.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from events import clickhouse

TODAY = date(2025, 8, 8)  # the shop's local today in these tests; default window 08-01..08-08
SEOUL = ZoneInfo("Asia/Seoul")
COLUMNS = ["event_id", "client_id", "uuid", "event_type", "product_id", "category_id", "login_id",
           "order_id", "amount", "keyword", "created_at"]


def local(d: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=SEOUL).astimezone(timezone.utc)


def put(client, visitor, event_type: int, when: datetime, **fields) -> None:
    row = [uuid.uuid4(), client.pk, visitor, event_type, fields.get("product_id"), fields.get("category_id"),
           fields.get("login_id"), fields.get("order_id"), fields.get("amount"), fields.get("keyword"), when]
    clickhouse.insert("event", [row], COLUMNS)


def put_many(client, rows: list[tuple]) -> None:
    """rows: (visitor, event_type, when, fields-dict)."""
    data = [[uuid.uuid4(), client.pk, v, code, f.get("product_id"), f.get("category_id"), f.get("login_id"),
             f.get("order_id"), f.get("amount"), f.get("keyword"), when] for v, code, when, f in rows]
    clickhouse.insert("event", data, COLUMNS)


def product_viewers(client, n: int, *, product: str = "3", day: date = date(2025, 8, 5)) -> list[str]:
    """n visitors who each viewed ``product`` once (start + end events) on ``day``."""
    visitors = [uuid.uuid4() for _ in range(n)]
    rows = []
    for i, v in enumerate(visitors):
        when = local(day, 10, i % 60)
        rows.append((v, 82, when, {"product_id": product}))
        rows.append((v, 83, when, {"product_id": product}))
    put_many(client, rows)
    return sorted(str(v) for v in visitors)


def viewers_ir(product: str = "3") -> dict:
    """Kind A: visitors who viewed ``product`` in the default window (the last 7 days)."""
    return {"kind": "A", "window": {"type": "default"},
            "audience": {"type": "event", "event": "product_view", "filters": {"product_id": [product]}}}


def daily_views_ir() -> dict:
    return {"kind": "B", "window": {"type": "default"},
            "aggregate": {"metric": "events", "event": {"event": "product_view"}, "group_by": ["day"]}}


def bulk_views(client, n: int, *, day: date = date(2025, 8, 5)) -> None:
    """n product views generated inside ClickHouse (fast), to make a query slow enough to time out."""
    start = local(day, 0).strftime("%Y-%m-%d %H:%M:%S")
    clickhouse.command(
        "INSERT INTO event (event_id, client_id, uuid, event_type, product_id, created_at) "
        f"SELECT generateUUIDv4(), {int(client.pk)}, generateUUIDv4(), 82, toString(number % 50), "
        f"toDateTime64('{start}', 6, 'UTC') + toIntervalMillisecond(number % 86400000) "
        f"FROM numbers({int(n)})"
    )
