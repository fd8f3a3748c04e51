"""Shop behaviour for the audience / segment tests, written straight into the real chDB.

Times are local (Asia/Seoul) and stored as UTC, like the collector does.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from events import clickhouse

TODAY = date(2025, 8, 8)
SEOUL = ZoneInfo("Asia/Seoul")
COLUMNS = ["event_id", "client_id", "uuid", "event_type", "product_id", "category_id", "login_id", "order_id",
           "amount", "keyword", "device_type", "utm_campaign", "utm_source", "tracking_id", "scroll_bucket",
           "created_at"]


def local(d: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=SEOUL).astimezone(timezone.utc)


def days_ago(n: int, hour: int = 12, minute: int = 0, *, today: date = TODAY) -> datetime:
    return local(today - timedelta(days=n), hour, minute)


def put(client, rows: list[tuple]) -> None:
    """rows: (visitor, event_type, when, fields-dict)."""
    data = []
    for v, code, when, f in rows:
        v = v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))
        data.append([uuid.uuid4(), client.pk, v, code, f.get("product_id"), f.get("category_id"), f.get("login_id"),
                     f.get("order_id"), f.get("amount"), f.get("keyword"), f.get("device_type", ""),
                     f.get("utm_campaign", ""), f.get("utm_source", ""), f.get("tracking_id"),
                     f.get("scroll_bucket"), when])
    clickhouse.insert("event", data, COLUMNS)


def visitor() -> uuid.UUID:
    return uuid.uuid4()


def shop_story(client, today: date = TODAY) -> dict:
    """A small shop with known answers.

    - carters (3): add product 1 to cart 2 days ago, never order
    - buyers (2): cart + order product 1 (one order of 2 lines: 30,000 + 20,000) 3 days ago,
      member ids member0001/member0002 (logged in)
    - browsers (4): view product 2 three times each, on mobile, 1 day ago
    - old (1): visited 60 days ago only
    """
    def days_ago(n, hour=12, minute=0):
        return local(today - timedelta(days=n), hour, minute)

    carters = [visitor() for _ in range(3)]
    buyers = [visitor() for _ in range(2)]
    browsers = [visitor() for _ in range(4)]
    old = [visitor()]
    rows = []
    for v in carters:
        rows += [(v, 82, days_ago(2, 10), {"product_id": "1", "category_id": "1"}),
                 (v, 41, days_ago(2, 10, 5), {"product_id": "1"})]
    for i, v in enumerate(buyers):
        oid = f"20250805-{i:07d}"
        rows += [(v, 10, days_ago(3, 9), {"login_id": f"member000{i + 1}"}),
                 (v, 82, days_ago(3, 10), {"product_id": "1", "category_id": "1"}),
                 (v, 41, days_ago(3, 10, 5), {"product_id": "1"}),
                 (v, 62, days_ago(3, 10, 10), {"product_id": "1", "order_id": oid, "amount": 30000}),
                 (v, 62, days_ago(3, 10, 10), {"product_id": "5", "order_id": oid, "amount": 20000})]
    for v in browsers:
        for k in range(3):
            rows.append((v, 82, days_ago(1, 14, k), {"product_id": "2", "category_id": "2", "device_type": "mobile"}))
            rows.append((v, 83, days_ago(1, 14, k + 1), {"product_id": "2", "category_id": "2",
                                                          "device_type": "mobile"}))
    for v in old:
        rows.append((v, 1, days_ago(60), {}))
    put(client, rows)
    return {"carters": sorted(map(str, carters)), "buyers": sorted(map(str, buyers)),
            "browsers": sorted(map(str, browsers)), "old": sorted(map(str, old))}


CART_NO_ORDER = {"op": "and", "items": [{"filter": "cart_no_order", "params": {"days": 7}}]}
MOBILE_P2 = {"op": "and", "items": [{"filter": "viewed_product", "params": {"product_ids": ["2"], "min_count": 3,
                                                                            "days": 7}},
                                    {"filter": "device", "params": {"device_types": ["mobile"], "days": 7}}]}
