"""Phone numbers and e-mail addresses in page_url / referrer query strings never reach ClickHouse
(DESIGN.md §4: never store a raw phone number): the value is replaced, the parameter name kept."""
import uuid
from datetime import datetime, timezone

import pytest

from events import clickhouse
from events.ingest.rows import normalize, scrub_url
from tests.collector_support import call, key_headers, use_redis
from tests.factories import make_client

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("url, expected", [
    ("https://shop.example.com/order?phone=010-1234-5678&step=2",
     "https://shop.example.com/order?phone=redacted&step=2"),
    ("https://shop.example.com/order?tel=01012345678", "https://shop.example.com/order?tel=redacted"),
    ("https://shop.example.com/a?m=%2B82%2010%201234%205678&x=1", "https://shop.example.com/a?m=redacted&x=1"),
    ("https://shop.example.com/a?m=+82+10+1234+5678", "https://shop.example.com/a?m=redacted"),
    ("https://shop.example.com/a?p=010.1234.5678#top", "https://shop.example.com/a?p=redacted#top"),
    ("https://shop.example.com/a?email=kim%40example.com&utm_source=mail",
     "https://shop.example.com/a?email=redacted&utm_source=mail"),
    ("https://shop.example.com/a?to=kim@example.co.kr", "https://shop.example.com/a?to=redacted"),
    ("https://shop.example.com/a#contact=kim@example.com", "https://shop.example.com/a#contact=redacted"),
    ("https://shop.example.com/a?01012345678", "https://shop.example.com/a?redacted"),
])
def test_phone_numbers_and_emails_are_replaced_keeping_the_parameter(url, expected):
    assert scrub_url(url) == expected


@pytest.mark.parametrize("url", [
    "https://shop.example.com/product/detail.html?product_no=3&cate_no=24",
    "https://shop.example.com/?utm_source=naver&utm_campaign=spring2026",
    "https://shop.example.com/order?order_id=20260301-0000123",   # an order number, not a phone
    "https://shop.example.com/a?ts=1740000000000&page=2",        # epoch millis
    "https://shop.example.com/board/01012345678/",               # a path is left as it is
])
def test_ordinary_urls_are_unchanged(url):
    assert scrub_url(url) == url


def test_normalize_scrubs_page_url_and_referrer():
    rec = normalize(7, {"event_type": 92, "uuid": str(uuid.uuid4()),
                        "page_url": "https://shop.example.com/join?hp=010-9876-5432",
                        "referrer": "https://mail.example.com/read?from=lee@example.com"}, now=NOW, key=b"k" * 32)
    assert rec["page_url"] == "https://shop.example.com/join?hp=redacted"
    assert rec["referrer"] == "https://mail.example.com/read?from=redacted"


@pytest.mark.django_db(transaction=True)
def test_collected_urls_reach_clickhouse_scrubbed(settings):
    from events.ingest import flusher

    shop = make_client("가게 URL")
    buffer = use_redis(settings)
    events = [{"event_type": "page_view_start", "uuid": str(uuid.uuid4()), "event_id": str(uuid.uuid4()),
               "page_url": "https://shop.example.com/join?hp=01098765432&step=1",
               "referrer": "https://mail.example.com/?u=kim%40example.com"}]
    [resp] = call([("POST", "/api/v1/events", {"json": {"events": events}, "headers": key_headers(shop)})])
    assert resp.status_code == 202
    flusher.drain(buffer)
    rows = clickhouse.query("SELECT page_url, referrer FROM event WHERE client_id = {c:Int32}",
                            {"c": shop.id}).rows
    assert rows == [("https://shop.example.com/join?hp=redacted&step=1", "https://mail.example.com/?u=redacted")]
