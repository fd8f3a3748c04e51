"""Query tests run compiled SQL on the run's real chDB (events.clickhouse), no Postgres needed.

Client ids are far above any Postgres id other tests create in the same chDB, so tenants'
rows never meet by accident; isolation between OUR two clients is asserted explicitly.
"""
import os
import uuid
from datetime import datetime, timezone

import pytest
from django.conf import settings

from events import ch_migrate, clickhouse

# pytest-django imports the settings before the root conftest sets CLICKHOUSE_URL, so without
# this the run would write into the developer's var/clickhouse (and fight over its lock).
if os.environ.get("CLICKHOUSE_URL") and settings.CLICKHOUSE_URL != os.environ["CLICKHOUSE_URL"]:
    settings.CLICKHOUSE_URL = os.environ["CLICKHOUSE_URL"]
    clickhouse.reset_clients()

SHOP = 910_001
OTHER = 910_002
COLUMNS = ["event_id", "client_id", "uuid", "event_type", "created_at", "session_id", "product_id",
           "category_id", "keyword", "order_id", "amount", "price", "product_quantity", "login_id",
           "page_url", "board_id", "article_id", "tracking_id", "utm_source"]


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def visitor(n: int, client: int = SHOP) -> uuid.UUID:
    return uuid.UUID(int=(client << 64) | n)


def ev(client: int, who: int, code: int, at: datetime, **fields) -> list:
    row = {"event_id": uuid.uuid4(), "client_id": client, "uuid": visitor(who, client), "event_type": code,
           "created_at": at, "session_id": uuid.UUID(int=who), **fields}
    return [row.get(c) if c != "utm_source" else row.get(c, "") for c in COLUMNS]


@pytest.fixture(scope="session")
def ch():
    ch_migrate.migrate()
    return clickhouse


@pytest.fixture(scope="session")
def run(ch):
    def _run(sql, params):
        return ch.query(sql, params)
    return _run


def insert(ch, rows):
    ch.insert("event", rows, COLUMNS)
