"""Order histories written straight into the real chDB for the customer-segment tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from events import clickhouse

COLUMNS = ["event_id", "client_id", "uuid", "event_type", "login_id", "order_id", "amount", "created_at"]
NOW = datetime.now(timezone.utc)


def orders(client, login_id: str | None, *, count: int, amount: int, last_days_ago: int, gap_days: int = 7,
           visitor: uuid.UUID | None = None, prefix: str | None = None) -> uuid.UUID:
    """``count`` completed orders of ``amount`` won, the newest ``last_days_ago`` days ago."""
    visitor = visitor or uuid.uuid4()
    rows = []
    for i in range(count):
        when = NOW - timedelta(days=last_days_ago + i * gap_days, hours=1)
        oid = f"{prefix or login_id or visitor}-{i}"
        rows.append([uuid.uuid4(), client.pk, visitor, 62, login_id, oid, amount, when])
    clickhouse.insert("event", rows, COLUMNS)
    return visitor


def cancel(client, login_id: str, order_id: str, amount: int, days_ago: int = 0) -> None:
    clickhouse.insert("event", [[uuid.uuid4(), client.pk, uuid.uuid4(), 63, login_id, order_id, amount,
                                 NOW - timedelta(days=days_ago)]], COLUMNS)


def behaviour(client, login_id: str, event_type: int, days_ago: int = 1) -> None:
    clickhouse.insert("event", [[uuid.uuid4(), client.pk, uuid.uuid4(), event_type, login_id, None, None,
                                 NOW - timedelta(days=days_ago)]], COLUMNS)


def shop_population(client, *, n_each: int = 6, prefix: str = "") -> dict[str, list[str]]:
    """Four clearly separated groups (VIP / mid / low / dormant), ``n_each`` members each."""
    groups = {"vip": [], "mid": [], "low": [], "dormant": []}
    for i in range(n_each):
        k = f"{prefix}vip{i:02d}"
        orders(client, k, count=12 + i, amount=300_000 + 1000 * i, last_days_ago=1 + i % 3, gap_days=5)
        groups["vip"].append(k)
        k = f"{prefix}mid{i:02d}"
        orders(client, k, count=3 + i % 2, amount=60_000 + 500 * i, last_days_ago=10 + i, gap_days=20)
        groups["mid"].append(k)
        k = f"{prefix}low{i:02d}"
        orders(client, k, count=1, amount=9_000 + 100 * i, last_days_ago=20 + i)
        groups["low"].append(k)
        k = f"{prefix}sleep{i:02d}"
        orders(client, k, count=2, amount=40_000 + 300 * i, last_days_ago=300 + 5 * i, gap_days=30)
        groups["dormant"].append(k)
    return groups
