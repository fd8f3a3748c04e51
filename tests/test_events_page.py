"""The SDK file as shops load it, and the Events page: daily chart data, live counter, install
state and snippet — read from the real chDB, each client seeing only its own events."""
import gzip
import re
import socket
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from events import clickhouse
from events.views import SDK_FILE
from tests.factories import make_client, make_member
from tenants.models import Role

pytestmark = pytest.mark.django_db

COLUMNS = ["event_id", "client_id", "uuid", "event_type", "product_id", "created_at"]


@pytest.fixture
def login(client):
    """Session login without the password form (axes guards that path; tested elsewhere)."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


def put_events(client, *items):
    """items: (event_type, created_at) pairs for one visitor."""
    visitor = uuid.uuid4()
    rows = [[uuid.uuid4(), client.pk, visitor, code, "3" if code in (82, 83) else None, at] for code, at in items]
    clickhouse.insert("event", rows, COLUMNS)


# --- the SDK file ------------------------------------------------------------------------

def test_sdk_is_served_gzipped_under_10_kb_with_long_cache_and_etag(client):
    res = client.get("/sdk/v1/untitle.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("application/javascript")
    assert res["Content-Encoding"] == "gzip"
    # A real product limit: the script is on every page of the shop.
    assert len(res.content) < 10 * 1024, len(res.content)
    assert gzip.decompress(res.content) == SDK_FILE.read_bytes()
    assert "max-age=86400" in res["Cache-Control"] and "public" in res["Cache-Control"]
    assert res["Access-Control-Allow-Origin"] == "*"
    etag = res["ETag"]

    again = client.get("/sdk/v1/untitle.js", HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING="gzip")
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # The plain file is another representation: the gzip ETag does not validate it.
    assert client.get("/sdk/v1/untitle.js", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_sdk_plain_for_clients_without_gzip_and_no_third_party_hosts(client):
    res = client.get("/sdk/v1/untitle.js")
    assert res.status_code == 200
    assert "Content-Encoding" not in res
    text = res.content.decode()
    # Requests go only to the SDK's own origin: the one absolute URL is the install example.
    assert re.findall(r"https?://[^\s'\"]+", text) == ["https://HOST/sdk/v1/untitle.js"]
    assert client.post("/sdk/v1/untitle.js").status_code == 405


# --- the page -----------------------------------------------------------------------------

def test_events_page_shows_snippet_with_this_clients_key(login, marketer, shop, other_shop, settings):
    settings.PUBLIC_BASE_URL = "https://untitle.example.com"
    res = login(marketer).get(f"/c/{shop.slug}/events/")
    assert res.status_code == 200
    body = res.content.decode()
    assert (f'&lt;script async src=&quot;https://untitle.example.com/sdk/v1/untitle.js&quot; '
            f'data-key=&quot;{shop.ingest_key}&quot;&gt;&lt;/script&gt;') in body
    assert f"https://untitle.example.com/sdk/v1/untitle.js?key={shop.ingest_key}" in body
    assert other_shop.ingest_key not in body
    assert "아직 확인되지 않음" in body


def test_viewer_may_see_the_page_and_strangers_get_404(login, viewer, shop, other_shop):
    c = login(viewer)
    assert c.get(f"/c/{shop.slug}/events/").status_code == 200
    for url in ("/c/{}/events/", "/c/{}/events/daily.json", "/c/{}/events/live.json"):
        assert c.get(url.format(other_shop.slug)).status_code == 404


def test_anonymous_is_sent_to_login(client, shop):
    res = client.get(f"/c/{shop.slug}/events/live.json")
    assert res.status_code == 302
    assert "/login" in res["Location"] or "accounts" in res["Location"]


def test_daily_counts_use_the_clients_local_days_and_only_its_events(login, marketer, shop, other_shop):
    now = datetime.now(timezone.utc)
    kst = timezone(timedelta(hours=9))
    today_kst = now.astimezone(kst).date()
    # 00:30 KST today is 15:30 UTC yesterday: it belongs to today in Seoul.
    just_after_midnight = datetime(today_kst.year, today_kst.month, today_kst.day, 0, 30, tzinfo=kst)
    three_days_ago = just_after_midnight - timedelta(days=3)
    put_events(shop, (82, just_after_midnight), (83, just_after_midnight), (82, three_days_ago),
               (31, three_days_ago), (31, just_after_midnight - timedelta(days=40)))
    put_events(other_shop, (82, just_after_midnight), (41, just_after_midnight))

    data = login(marketer).get(f"/c/{shop.slug}/events/daily.json").json()
    assert len(data["days"]) == 30
    assert data["days"][-1] == today_kst.isoformat()
    by_code = {s["code"]: s for s in data["series"]}
    assert set(by_code) == {82, 83, 31}  # nothing of other_shop (41), nothing older than 30 days
    assert by_code[82]["counts"][-1] == 1 and by_code[82]["counts"][-4] == 1
    assert by_code[82]["total"] == 2
    assert by_code[31]["total"] == 1
    assert by_code[83]["is_end"] is True and by_code[82]["is_end"] is False
    assert by_code[82]["label_ko"] == "상품 조회 시작"
    assert data["series"][0]["code"] == 82  # busiest first
    assert data["timezone"] == "Asia/Seoul"


def test_live_counter_and_installed_state(login, marketer, shop, other_shop):
    c = login(marketer)
    first = c.get(f"/c/{shop.slug}/events/live.json")
    assert first["Cache-Control"] == "no-store"
    assert first.json()["installed"] is False
    assert first.json()["last_5_minutes"] == 0

    now = datetime.now(timezone.utc)
    put_events(shop, (31, now - timedelta(hours=30)))  # older than a day: still not installed
    assert c.get(f"/c/{shop.slug}/events/live.json").json()["installed"] is False

    put_events(shop, (82, now - timedelta(seconds=30)), (83, now - timedelta(seconds=10)),
               (31, now - timedelta(minutes=20)))
    put_events(other_shop, *[(82, now)] * 5)
    live = c.get(f"/c/{shop.slug}/events/live.json").json()
    assert live["last_5_minutes"] == 2
    assert live["installed"] is True
    assert abs(datetime.fromisoformat(live["last_event_at"]) - (now - timedelta(seconds=10))) < timedelta(milliseconds=1)
    assert "설치됨" in live["installed_text"]

    page = c.get(f"/c/{shop.slug}/events/").content.decode()
    assert 'data-installed="true"' in page


def test_two_clients_of_one_marketer_are_kept_apart(login, shop):
    user = make_member(shop, Role.MARKETER)
    second = make_client("가게 C")
    make_member(second, Role.MARKETER, user=user)
    now = datetime.now(timezone.utc)
    put_events(second, (41, now), (41, now), (41, now))
    c = login(user)
    assert c.get(f"/c/{shop.slug}/events/live.json").json()["last_5_minutes"] == 0
    assert c.get(f"/c/{second.slug}/events/live.json").json()["last_5_minutes"] == 3


def test_store_down_gives_a_clear_message_not_an_error_page(login, marketer, shop, settings):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    settings.CLICKHOUSE_URL = f"http://127.0.0.1:{port}/default"
    try:
        c = login(marketer)
        live = c.get(f"/c/{shop.slug}/events/live.json")
        assert live.status_code == 503
        assert "이벤트 저장소에 연결할 수 없습니다" in live.json()["message"]
        assert c.get(f"/c/{shop.slug}/events/daily.json").status_code == 503
        page = c.get(f"/c/{shop.slug}/events/")
        assert page.status_code == 200
        assert "이벤트 저장소에 연결할 수 없습니다" in page.content.decode()
        assert shop.ingest_key in page.content.decode()  # the snippet does not need the store
    finally:
        clickhouse.reset_clients()
