"""The storefront SDK in a real Chromium, against the real collector, asserting what lands in ClickHouse.

Two origins, as in production: the fixture shop (tests/fixtures/storefront, pages that imitate a
Cafe24 skin) is served by a small HTTP server on one port; UNTITLE (Django + the collector,
``untitle.asgi:application`` under uvicorn) on another. So every SDK request is cross-origin
and the collector's CORS allow-list is exercised. Uvicorn runs in a thread of this process
because only one process may open the test's chDB path.
"""
from __future__ import annotations

import asyncio
import gc
import http.server
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import uvicorn
from django.db import connections

from events import clickhouse
from events.ingest.flusher import drain
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STOREFRONT = Path(__file__).resolve().parent.parent / "fixtures" / "storefront"


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def untitle_server(transactional_db, monkeypatch):
    """UNTITLE's ASGI app (Django pages, the SDK file, the collector) on a free port."""
    from events.collector.app import app as collector
    from untitle.asgi import application

    # Server threads must not keep test-database connections open past the test.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="on"))

    async def serve():
        # The collector's buffer connection belongs to one event loop: start and end clean.
        await collector.reset()
        try:
            await server.serve(sockets=[sock])
        finally:
            await collector.reset()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield "http://127.0.0.1:%d" % sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    connections.close_all()
    gc.collect()  # the server loop's worker threads are gone; this closes what they had opened


class _Shop:
    """The fixture storefront; pages get the SDK origin and the client's key filled in."""

    def __init__(self):
        self.values: dict[str, str] = {}
        shop = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(STOREFRONT), **kwargs)

            def do_GET(self):
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                if path.endswith("/"):
                    path += "index.html"
                file = STOREFRONT / path.lstrip("/")
                if not file.is_file() and not path.endswith((".js", ".ico")):
                    file = STOREFRONT / "generic.html"  # SEO and mobile URLs of a Cafe24 skin
                if file.suffix != ".html" or not file.is_file():
                    return super().do_GET()
                body = file.read_text(encoding="utf-8")
                for name, value in shop.values.items():
                    body = body.replace("{{%s}}" % name, value)
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # "localhost" and "127.0.0.1" are different origins: the shop is not UNTITLE's site.
        self.origin = "http://localhost:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def storefront():
    shop = _Shop()
    yield shop
    shop.close()


def shop_with_origins(name, origins):
    client = make_client(name)
    client.allowed_origins = origins
    client.save(update_fields=["allowed_origins"])
    return client


def _fresh_buffer():
    """Start from an empty collector buffer in this run's own Redis db.

    What an earlier test process left there belongs to a chDB store that no longer exists, and
    its client ids are reused by this run's fresh Postgres; a flusher lock held under that
    process's name would keep drain() idle for a minute.
    """
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        r = redis.Redis.from_url(settings.REDIS_URL)
        for pattern in ("untitle:flusher-lock:*", "untitle:events:*"):
            for key in r.scan_iter(pattern):
                r.delete(key)
        r.close()
    drain()


@pytest.fixture
def shop_client(untitle_server, storefront):
    client = shop_with_origins("픽스처 상점", [storefront.origin])
    storefront.values.update(UNTITLE_ORIGIN=untitle_server, UNTITLE_KEY=client.ingest_key)
    _fresh_buffer()
    return client


@pytest.fixture
def page(browser):
    """A shopper's tab (tests/browser/conftest.py's Chromium); unlike that file's ``page`` it
    needs no live server: the shop and UNTITLE run on their own ports here."""
    # bypass_csp as in conftest.py: Playwright's string predicates run through eval, which our
    # CSP forbids; tests/browser/test_csp_pages.py walks the pages with the policy enforced.
    context = browser.new_context(locale="ko-KR", bypass_csp=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


EVENT_COLUMNS = ("event_type, uuid, session_id, product_id, category_id, price, amount, product_quantity, "
                 "product_option_id1, product_option_id2, order_id, keyword, board_id, article_id, "
                 "login_id, scroll_bucket, page_url, referrer, device_type, event_id, created_at, "
                 "utm_source, utm_campaign, tracking_id")


def landed(client, since: datetime, *, until=lambda rows: False, timeout: float = 20.0) -> list[dict]:
    """Drain the collector's buffer into ClickHouse until ``until(rows)`` holds (or time runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        drain()
        rows = clickhouse.query(
            f"SELECT {EVENT_COLUMNS} FROM event WHERE client_id = {{cid:Int32}} "
            "AND created_at >= {since:DateTime64(6, 'UTC')} ORDER BY created_at, event_type",
            {"cid": client.pk, "since": since},
        ).dicts()
        if until(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def codes(rows) -> list[int]:
    return [r["event_type"] for r in rows]


def leave(page):
    """Navigating away fires pagehide: the SDK ends the view and sends by beacon."""
    page.goto("about:blank")


def test_shopper_journey_lands_in_clickhouse(page, storefront, shop_client):
    since = datetime.now(timezone.utc)
    shop = storefront.origin
    page.add_init_script("try { localStorage.setItem('fixture_member', 'member0001') } catch (e) {}")

    landing = shop + "/?utm_source=sms&utm_campaign=spring&untitle_tid=T-123"
    page.goto(landing)
    page.wait_for_function("window.untitle && window.untitle.loaded")
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(600)  # the SDK waits for scrolling to settle

    page.click("#to-product")
    page.wait_for_function("window.action_basket && window.action_basket.__untitle")
    page.click("#add-to-cart")
    # The shop's own add-to-cart still ran and returned its value through the wrapper.
    assert page.text_content("#basket-result") == "장바구니에 담았습니다"
    assert page.evaluate("window.basketReturn") == "shop-result"

    page.goto(shop + "/product/list.html?cate_no=24&sort_method=5&page=2")
    page.goto(shop + "/product/search.html?keyword=%EC%9B%90%ED%94%BC%EC%8A%A4&order_by=favor")
    page.goto(shop + "/board/free/read.html?board_no=1&no=5")
    page.goto(shop + "/order/basket.html")
    page.goto(shop + "/order/orderform.html")
    page.goto(shop + "/order/order_result.html")
    page.wait_for_timeout(1200)  # the order data arrives 0.7 s after load
    page.reload()                # a reload of the result page is not a second order
    page.wait_for_timeout(1200)
    page.goto(shop + "/member/join_result.html")
    page.wait_for_timeout(300)
    leave(page)

    rows = landed(shop_client, since, until=lambda rows: codes(rows).count(93) >= 6
                  and codes(rows).count(62) >= 2 and 11 in codes(rows))
    got = codes(rows)
    assert page.errors == []

    # One browser, one visitor, one session, opened once by the collector.
    assert len({r["uuid"] for r in rows}) == 1
    assert len({r["session_id"] for r in rows}) == 1 and rows[0]["session_id"] is not None
    assert got.count(1) == 1
    start = next(r for r in rows if r["event_type"] == 1)
    assert start["page_url"] == landing
    assert (start["utm_source"], start["utm_campaign"]) == ("sms", "spring")
    # Arriving through a message's link is a click on that message.
    assert [r["tracking_id"] for r in rows if r["event_type"] == 102] == ["T-123"]
    assert len({r["event_id"] for r in rows}) == len(rows)

    assert got.count(31) == 1 and got.count(32) == 1
    scrolls = [r for r in rows if r["event_type"] == 91]
    assert scrolls and max(r["scroll_bucket"] for r in scrolls) == 10
    assert scrolls[-1]["page_url"] == landing

    views = [r for r in rows if r["event_type"] in (82, 83)]
    assert [r["event_type"] for r in views] == [82, 83]
    assert all(r["product_id"] == "3" and r["category_id"] == "24" and r["price"] == 35000 for r in views)

    (cart,) = [r for r in rows if r["event_type"] == 41]
    assert (cart["product_id"], cart["product_quantity"], cart["price"]) == ("3", 2, 35000)
    assert (cart["product_option_id1"], cart["product_option_id2"]) == ("P000000C000A", "P000000C000B")

    assert [r["category_id"] for r in rows if r["event_type"] in (21, 22)] == ["24", "24"]
    assert [r["keyword"] for r in rows if r["event_type"] == 20] == ["원피스"]
    board = [r for r in rows if r["event_type"] in (71, 72)]
    assert [(r["board_id"], r["article_id"]) for r in board] == [("1", "5"), ("1", "5")]
    # untitle('track', ...) called through the queue stub before the SDK had loaded.
    assert [r["product_id"] for r in rows if r["event_type"] == 51] == ["7"]
    # The cart page installs the script the Cafe24 script-tag way (?key= on the src).
    assert any(r["event_type"] == 92 and r["page_url"] == shop + "/order/basket.html" for r in rows)

    orders = sorted((r for r in rows if r["event_type"] == 62), key=lambda r: r["product_id"])
    assert [(r["order_id"], r["product_id"], r["product_quantity"], r["price"], r["amount"]) for r in orders] == [
        ("20261121-0000123", "12", 1, 33000, 33000),
        ("20261121-0000123", "3", 2, 35000, 70000),
    ]

    assert got.count(61) == 1  # the order form
    assert [r["login_id"] for r in rows if r["event_type"] == 11] == ["member0001"]

    # The member id from CAFE24API: one login event, then on every later event.
    assert [r["login_id"] for r in rows if r["event_type"] == 10] == ["member0001"]
    assert all(r["login_id"] == "member0001" for r in rows if r["event_type"] == 62)
    assert {r["device_type"] for r in rows if r["event_type"] != 1} == {"desktop"}


def test_undelivered_events_wait_in_local_storage_and_are_sent_once(page, storefront, untitle_server, shop_client):
    since = datetime.now(timezone.utc)
    shop = storefront.origin
    # The collector cannot be reached: the shop must work on, the events must wait.
    page.route(untitle_server + "/api/**", lambda route: route.abort("connectionrefused"))
    page.goto(shop + "/product/detail.html?product_no=3&cate_no=24")
    page.wait_for_function("window.action_basket && window.action_basket.__untitle")
    page.click("#add-to-cart")
    assert page.text_content("#basket-result") == "장바구니에 담았습니다"
    page.goto(shop + "/plain.html")  # pagehide with nothing reachable: the SDK stores the events
    stored = page.evaluate("JSON.parse(localStorage.getItem('untitle:q') || '[]').map(e => e.event_type)")
    assert {82, 83, 41} <= set(stored)
    assert landed(shop_client, since, timeout=1) == []

    page.unroute(untitle_server + "/api/**")
    page.goto(shop + "/")
    page.wait_for_timeout(2500)  # the stored events go out with the next batch
    leave(page)
    rows = landed(shop_client, since, until=lambda rows: {82, 83, 41, 31, 32} <= set(codes(rows)))
    got = codes(rows)
    assert got.count(82) == 1 and got.count(83) == 1 and got.count(41) == 1
    assert got.count(31) == 1
    assert page.errors == []


def test_a_broken_page_environment_never_breaks_the_shop(page, storefront, shop_client):
    since = datetime.now(timezone.utc)
    # Storage that throws (Safari private mode, full quota) and a Cafe24 global that throws.
    page.add_init_script("""
        Storage.prototype.setItem = function () { throw new Error('QuotaExceededError'); };
        Object.defineProperty(window, 'CAFE24API', { get() { throw new Error('broken'); }, set() {} });
    """)
    page.goto(storefront.origin + "/product/detail.html?product_no=3&cate_no=24")
    page.wait_for_function("window.action_basket && window.action_basket.__untitle")
    page.click("#add-to-cart")
    assert page.evaluate("window.basketReturn") == "shop-result"
    leave(page)
    rows = landed(shop_client, since, until=lambda rows: {82, 83, 41} <= set(codes(rows)))
    assert {82, 83, 41} <= set(codes(rows))
    assert page.errors == []


def test_a_site_not_on_the_allow_list_sends_nothing(page, storefront, untitle_server, transactional_db):
    since = datetime.now(timezone.utc)
    other = shop_with_origins("남의 상점", ["https://www.example.com"])
    storefront.values.update(UNTITLE_ORIGIN=untitle_server, UNTITLE_KEY=other.ingest_key)
    page.goto(storefront.origin + "/product/detail.html?product_no=3")
    page.wait_for_function("window.untitle && window.untitle.loaded")
    page.click("#add-to-cart")
    assert page.text_content("#basket-result") == "장바구니에 담았습니다"
    page.wait_for_timeout(2500)
    leave(page)
    assert landed(other, since, timeout=1) == []
    assert page.errors == []


def test_events_page_shows_what_the_sdk_sent(page, storefront, untitle_server, shop_client):
    from django.test import Client as DjangoClient

    from tenants.models import Role
    from tests.factories import make_member

    since = datetime.now(timezone.utc)
    page.goto(storefront.origin + "/product/detail.html?product_no=3&cate_no=24")
    page.wait_for_function("window.untitle && window.untitle.loaded")
    page.wait_for_timeout(2500)  # a shopper reading the page; the first batch goes out meanwhile
    leave(page)
    landed(shop_client, since, until=lambda rows: 83 in codes(rows))

    marketer = make_member(shop_client, Role.MARKETER)
    dj = DjangoClient()
    dj.force_login(marketer)
    page.context.add_cookies([{"name": "sessionid", "value": dj.cookies["sessionid"].value,
                               "url": untitle_server}])
    page.clock.install()  # the counter refreshes every 10 s: let the test move time on
    page.goto(f"{untitle_server}/c/{shop_client.slug}/events/")
    status = page.locator('[data-testid="install-status"]')
    assert status.get_attribute("data-installed") == "true", status.text_content()
    assert "설치됨" in status.text_content()
    assert int(page.text_content('[data-testid="live-count"]')) >= 3  # session_start, 82, 83
    assert shop_client.ingest_key in page.text_content('[data-testid="sdk-snippet"]')
    row = page.locator('[data-testid="type-totals"] tr[data-code="82"]')
    row.wait_for()
    assert "상품 조회 시작" in row.text_content() and row.locator("td").nth(2).text_content() == "1"
    assert page.evaluate("!!Chart.getChart(document.getElementById('events-chart'))")

    shown = int(page.text_content('[data-testid="live-count"]'))
    now = datetime.now(timezone.utc)
    clickhouse.insert("event", [[uuid.uuid4(), shop_client.pk, uuid.uuid4(), 31, now] for _ in range(5)],
                      ["event_id", "client_id", "uuid", "event_type", "created_at"])
    page.clock.run_for(10_500)
    page.wait_for_function(f"document.querySelector('[data-testid=\"live-count\"]').textContent === '{shown + 5}'")
    assert page.errors == []


def test_custom_calls_are_batched_and_an_invalid_one_is_dropped_alone(page, storefront, untitle_server,
                                                                      shop_client):
    since = datetime.now(timezone.utc)
    posts = []
    page.on("request", lambda req: posts.append(req.url) if req.url.startswith(untitle_server + "/api/v1/events")
            else None)
    page.goto(storefront.origin + "/board/free/read.html?board_no=1&no=5")
    page.wait_for_function("window.untitle && window.untitle.loaded")
    page.wait_for_timeout(2500)
    sent_before = len(posts)
    page.evaluate("""() => {
        for (let i = 0; i < 25; i++) untitle('track', 'wishlist_add', {product_id: 'p' + i});
        untitle('track', 'cart_add', {product_quantity: 1});   // no product_id: the collector says no
        untitle('track', 'no_such_event', {product_id: '1'});  // unknown: never leaves the browser
        untitle('track', 41, {product_id: '8', product_quantity: 300});  // a code; quantity capped
    }""")
    page.wait_for_timeout(3000)
    # 28 events in a few requests, not one request per event.
    assert 1 <= len(posts) - sent_before <= 4
    leave(page)
    rows = landed(shop_client, since, until=lambda rows: codes(rows).count(51) >= 26 and 41 in codes(rows))
    wished = sorted(r["product_id"] for r in rows if r["event_type"] == 51)
    assert wished == sorted(["7"] + ["p%d" % i for i in range(25)])
    carts = [(r["product_id"], r["product_quantity"]) for r in rows if r["event_type"] == 41]
    assert carts == [("8", 255)]
    assert page.errors == []


def test_a_device_clock_hours_ahead_loses_no_events(page, storefront, shop_client):
    from datetime import timedelta

    since = datetime.now(timezone.utc)
    page.clock.install(time=since + timedelta(hours=3))
    page.goto(storefront.origin + "/product/detail.html?product_no=3&cate_no=24")
    page.wait_for_function("window.untitle && window.untitle.loaded")
    page.wait_for_timeout(2500)
    leave(page)
    rows = landed(shop_client, since, until=lambda rows: {82, 83} <= set(codes(rows)))
    assert {82, 83} <= set(codes(rows))
    # The collector refused the shifted timestamps once; the events were stamped by it instead.
    for r in rows:
        assert abs(r["created_at"].replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)) < timedelta(minutes=2)
    assert page.errors == []


def test_page_types_from_cafe24_url_shapes(page, storefront, shop_client):
    since = datetime.now(timezone.utc)
    shop = storefront.origin
    for path in ("/product/dress/31/category/24/display/1/", "/category/outer/25/",
                 "/article/free/2/77/", "/m/product/detail.html?product_no=9&cate_no=26",
                 "/skin-mobile2/product/list.html?cate_no=27", "/member/login.html"):
        page.goto(shop + path)
        page.wait_for_function("window.untitle && window.untitle.loaded")
    leave(page)
    rows = landed(shop_client, since, until=lambda rows: codes(rows).count(93) >= 1 and len(rows) >= 13)
    starts = [(r["event_type"], r["product_id"], r["category_id"], r["board_id"], r["article_id"])
              for r in rows if r["event_type"] in (21, 71, 82, 92)]
    assert starts == [
        (82, "31", "24", None, None),
        (21, None, "25", None, None),
        (71, None, None, "2", "77"),
        (82, "9", "26", None, None),
        (21, None, "27", None, None),
        (92, None, None, None, None),
    ]
    assert page.errors == []
