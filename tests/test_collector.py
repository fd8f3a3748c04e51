"""The collector API end to end: real ASGI app, real Redis stream or spool, real chDB."""
import threading
import time
import uuid

import pytest
import redis

from events import clickhouse
from events.ingest import flusher
from events.ingest.buffer import GROUP, RedisStreamBuffer, Spool, stream_key
from tests.collector_support import call, event, key_headers, post, use_redis, use_spool
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)


def ch_count(client_id, where="1", params=None):
    sql = f"SELECT count() FROM event WHERE client_id = {{cid:Int32}} AND {where}"
    return clickhouse.query(sql, {"cid": client_id, **(params or {})}).rows[0][0]


@pytest.fixture(params=["spool", "redis"])
def buffer(request, settings, tmp_path):
    return use_spool(settings, tmp_path) if request.param == "spool" else use_redis(settings)


@pytest.fixture
def spool(settings, tmp_path):
    return use_spool(settings, tmp_path)


@pytest.fixture
def stream(settings):
    return use_redis(settings)


def test_session_gives_stable_visitor_and_records_session_start(shop, buffer):
    device = str(uuid.uuid4())
    body = {"client_id": shop.id, "device_id": device, "page_url": "https://mall1x.cafe24.com/",
            "utm_source": "naver"}
    first, again, other = call([
        ("POST", "/api/v1/sessions", {"json": body, "headers": key_headers(shop)}),
        ("POST", "/api/v1/sessions", {"json": body, "headers": key_headers(shop)}),
        ("POST", "/api/v1/sessions", {"json": {**body, "device_id": "another-device"}, "headers": key_headers(shop)}),
    ])
    assert first.status_code == 201, first.text
    a, b, c = first.json(), again.json(), other.json()
    assert a["uuid"] == b["uuid"] != c["uuid"]
    assert a["session_id"] != b["session_id"]
    # Durable before any flush: the buffer already holds the three session_start events.
    assert buffer.pending_events() == 3
    assert ch_count(shop.id) == 0
    flusher.drain(buffer)
    assert ch_count(shop.id, "event_type = 1 AND uuid = {u:UUID} AND utm_source = 'naver'", {"u": a["uuid"]}) == 2
    assert buffer.pending_events() == 0


def test_single_event_and_batch_are_buffered_then_flushed(shop, buffer):
    visitor = str(uuid.uuid4())
    single = post("/api/v1/events", json=event(uuid=visitor, product_id="77"), headers=key_headers(shop))
    assert single.status_code == 202 and single.json() == {"accepted": 1}
    batch = {"uuid": visitor, "session_id": str(uuid.uuid4()),
             "events": [{"event_type": "cart_add", "product_id": str(i), "price": 1000 + i, "event_id": str(uuid.uuid4())}
                        for i in range(50)]}
    resp = post("/api/v1/events", json=batch, headers=key_headers(shop))
    assert resp.status_code == 202 and resp.json() == {"accepted": 50}
    assert buffer.pending_events() == 51
    stats = flusher.drain(buffer)
    assert stats.inserted == 51
    assert ch_count(shop.id, "uuid = {u:UUID}", {"u": visitor}) == 51
    assert ch_count(shop.id, "event_type = 41 AND session_id IS NOT NULL") == 50
    assert ch_count(shop.id, "event_type = 82 AND product_id = '77'") == 1


def test_bad_events_reject_the_whole_batch_naming_each_index(shop, spool):
    events = [event(), event(event_type=99), event(), event(scroll_bucket=11, event_type=91),
              event(event_type="login")]  # login without login_id
    resp = post("/api/v1/events", json={"events": events}, headers=key_headers(shop))
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_events" and body["detail"]
    assert list(body["fields"]) == ["events.1.event_type", "events.3.scroll_bucket", "events.4.login_id"]
    assert spool.pending_events() == 0


@pytest.mark.parametrize("body,status,code", [
    (b"{not json", 400, "bad_json"),
    (b"[1, 2]", 400, "invalid_request"),
    (b'{"events": []}', 400, "invalid_request"),
    (b'{"events": "x"}', 400, "invalid_request"),
    (b'{"events": [{}], "extra": 1}', 400, "invalid_request"),
])
def test_malformed_bodies_are_4xx_with_a_message(shop, spool, body, status, code):
    resp = post("/api/v1/events", content=body, headers=key_headers(shop))
    assert resp.status_code == status and resp.json()["code"] == code and resp.json()["detail"]


def test_oversized_batches_and_bodies_are_413(shop, spool):
    too_many = post("/api/v1/events", json={"events": [event() for _ in range(501)]}, headers=key_headers(shop))
    assert too_many.status_code == 413 and too_many.json()["code"] == "too_many_events"
    huge = post("/api/v1/events", json=event(page_url="x" * 2000, keyword="y" * (1024 * 1024)), headers=key_headers(shop))
    assert huge.status_code == 413
    ok = post("/api/v1/events", json={"events": [event() for _ in range(500)]}, headers=key_headers(shop))
    assert ok.status_code == 202 and ok.json() == {"accepted": 500}


def test_ingest_key_required_and_checked(shop, spool):
    assert post("/api/v1/events", json=event()).status_code == 401
    assert post("/api/v1/events", json=event(), headers={"X-Untitle-Key": "pk_wrong"}).json()["code"] == "unknown_key"
    # sendBeacon: key in the query string, body as text/plain.
    import orjson
    beacon = post("/api/v1/events", params={"key": shop.ingest_key}, content=orjson.dumps(event()),
                  headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert beacon.status_code == 202
    in_body = post("/api/v1/events", json={**event(), "ingest_key": shop.ingest_key})
    assert in_body.status_code == 202
    assert spool.pending_events() == 2


def test_a_shop_cannot_post_as_another(shop, other_shop, spool):
    resp = post("/api/v1/events", json={"client_id": other_shop.id, "events": [event()]}, headers=key_headers(shop))
    assert resp.status_code == 403 and resp.json()["code"] == "client_mismatch"
    resp = post("/api/v1/sessions", json={"client_id": other_shop.id, "device_id": "d"}, headers=key_headers(shop))
    assert resp.status_code == 403
    assert post("/api/v1/events", json=event(client_id=other_shop.id), headers=key_headers(shop)).status_code == 403
    inside = post("/api/v1/events", json={"events": [event(), event(client_id=other_shop.id)]}, headers=key_headers(shop))
    assert inside.status_code == 400 and list(inside.json()["fields"]) == ["events.1.client_id"]
    assert spool.pending_events() == 0


def test_inactive_client_is_refused(spool, db):
    shop = make_client("닫은 가게")
    shop.is_active = False
    shop.save()
    assert post("/api/v1/events", json=event(), headers=key_headers(shop)).status_code == 403


def test_cors_allows_the_malls_own_and_configured_origins(db, spool):
    shop = make_client("CORS 가게", mall_id="corsmall")
    shop.allowed_origins = ["https://www.corsmall.co.kr", "https://*.brand.kr"]
    shop.save()
    for origin in ("https://corsmall.cafe24.com", "https://m.corsmall.cafe24.com", "https://corsmall.cafe24shop.com",
                   "https://www.corsmall.co.kr", "https://shop.brand.kr"):
        resp = post("/api/v1/events", json=event(), headers=key_headers(shop, Origin=origin))
        assert resp.status_code == 202, origin
        assert resp.headers["access-control-allow-origin"] == origin
    for origin in ("https://evil.example", "https://othermall.cafe24.com", "http://corsmall.cafe24.com",
                   "https://brand.kr.evil.example"):
        resp = post("/api/v1/events", json=event(), headers=key_headers(shop, Origin=origin))
        assert resp.status_code == 403 and resp.json()["code"] == "origin_not_allowed", origin
        assert "access-control-allow-origin" not in resp.headers
    assert spool.pending_events() == 5
    # A rejected event from an allowed origin still carries CORS so the SDK can read the errors.
    bad = post("/api/v1/events", json=event(event_type=250), headers=key_headers(shop, Origin="https://corsmall.cafe24.com"))
    assert bad.status_code == 400 and bad.headers["access-control-allow-origin"] == "https://corsmall.cafe24.com"


def test_preflight(spool):
    resp = call([("OPTIONS", "/api/v1/events", {"headers": {
        "Origin": "https://mall.cafe24.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-untitle-key"}})])[0]
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == "https://mall.cafe24.com"
    assert "X-Untitle-Key" in resp.headers["access-control-allow-headers"]
    assert "POST" in resp.headers["access-control-allow-methods"]
    assert call([("GET", "/api/v1/events", {})])[0].status_code == 405


def test_rate_limit_per_ingest_key(shop, other_shop, buffer, settings):
    settings.COLLECTOR_RATE_PER_KEY = 1
    settings.COLLECTOR_BURST_PER_KEY = 3
    req = ("POST", "/api/v1/events", {"json": event(), "headers": key_headers(shop)})
    other = ("POST", "/api/v1/events", {"json": event(), "headers": key_headers(other_shop)})
    responses = call([req, req, req, req, other])
    assert [r.status_code for r in responses] == [202, 202, 202, 429, 202]
    assert int(responses[3].headers["retry-after"]) >= 1
    assert responses[3].json()["code"] == "rate_limited"
    assert buffer.pending_events() == 4


def test_same_event_posted_twice_counts_once(shop, buffer):
    ev = event(created_at="2026-01-01T00:00:00Z")
    ev["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    assert post("/api/v1/events", json=ev, headers=key_headers(shop)).status_code == 202
    flusher.drain(buffer)
    # The SDK did not see the 202 and resends the same batch, twice, plus one new event.
    fresh = event(created_at=ev["created_at"].replace("Z", ".5Z"))
    assert post("/api/v1/events", json={"events": [ev, fresh]}, headers=key_headers(shop)).status_code == 202
    assert post("/api/v1/events", json={"events": [ev, fresh]}, headers=key_headers(shop)).status_code == 202
    flusher.drain(buffer)
    assert ch_count(shop.id, "uuid = {u:UUID}", {"u": ev["uuid"]}) == 1
    assert ch_count(shop.id) == 2


def test_a_resend_in_the_next_batch_is_caught_while_batches_overlap(shop, buffer):
    # One entry per batch: the resend lands in the batch read while the first is being inserted.
    ev = event(created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30)))
    for body in (ev, {"events": [ev, event()]}, {"events": [ev]}):
        assert post("/api/v1/events", json=body, headers=key_headers(shop)).status_code == 202
    stats = flusher.drain(buffer, max_events=1)
    assert stats.batches == 3 and stats.read == 4 and stats.inserted == 2
    assert ch_count(shop.id) == 2


def test_flusher_crash_after_insert_before_commit_counts_once(shop, buffer):
    for _ in range(3):
        post("/api/v1/events", json={"events": [event() for _ in range(10)]}, headers=key_headers(shop))
    batches = buffer.read(100_000)
    from events.ingest.store import insert_records
    for b in batches:
        insert_records(b.records)  # ...and the process dies before b.commit()
    assert ch_count(shop.id) == 30
    fresh = Spool(buffer.dir) if isinstance(buffer, Spool) else flusher.get_buffer()  # a restarted flusher
    flusher.drain(fresh)
    assert ch_count(shop.id) == 30
    assert fresh.pending_events() == 0


def test_dead_flusher_entries_are_claimed_by_another(shop, stream, settings):
    post("/api/v1/events", json={"events": [event() for _ in range(5)]}, headers=key_headers(shop))
    dead = RedisStreamBuffer(settings.REDIS_URL, consumer="dead-host-1")
    assert sum(len(b.records) for b in dead.read()) == 5  # read, never committed
    r = redis.Redis.from_url(settings.REDIS_URL)
    assert r.xpending(stream_key(0), GROUP)["pending"] == 1
    r.delete("untitle:flusher-lock:0")  # its lease ran out
    alive = RedisStreamBuffer(settings.REDIS_URL, consumer="alive-host-2", claim_idle_ms=0)
    flusher.drain(alive)
    assert ch_count(shop.id) == 5
    assert r.xlen(stream_key(0)) == 0


def test_clickhouse_down_loses_nothing_and_recovers(shop, buffer, settings):
    real_url = settings.CLICKHOUSE_URL
    settings.CLICKHOUSE_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
    assert post("/api/v1/events", json={"events": [event() for _ in range(20)]}, headers=key_headers(shop)).status_code == 202
    with pytest.raises(clickhouse.ClickHouseUnavailable):
        flusher.flush_once(buffer)
    assert buffer.pending_events() == 20

    stop = threading.Event()
    thread = threading.Thread(target=flusher.run_forever, args=(stop,), kwargs={"buffer": buffer}, daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # the loop is backing off against the dead URL
        assert buffer.pending_events() == 20
        settings.CLICKHOUSE_URL = real_url
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and ch_count(shop.id) < 20:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(10)
    assert ch_count(shop.id) == 20
    assert buffer.pending_events() == 0


def test_phone_number_is_never_stored_raw(shop, spool):
    resp = post("/api/v1/events", json=event(event_type="login", login_id="kim", phone_number="010-1234-5678"),
                headers=key_headers(shop))
    assert resp.status_code == 202
    raw = (spool.dir / next(p.name for p in spool.segments())).read_bytes()
    assert b"1234" not in raw and b"5678" not in raw
    flusher.drain(spool)
    stored = clickhouse.query("SELECT phone_number FROM event WHERE client_id = {cid:Int32}", {"cid": shop.id}).rows
    assert len(stored) == 1 and stored[0][0] and "5678" not in stored[0][0]


def test_the_project_asgi_entry_routes_collector_paths(shop, spool):
    from untitle.asgi import application

    resp = call([("POST", "/api/v1/events/", {"json": event(), "headers": key_headers(shop)})], app=_Wrap(application))[0]
    assert resp.status_code == 202


class _Wrap:
    """untitle.asgi.application with the reset() hook call() expects."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        return await self.inner(scope, receive, send)

    async def reset(self):
        from events.collector.app import app

        await app.reset()


def test_a_spool_that_cannot_be_written_is_a_503_not_a_500(shop, settings, tmp_path):
    # VAR_DIR/spool cannot be created when VAR_DIR is a file (a read-only or full disk acts alike).
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings.COLLECTOR_BUFFER = "spool"
    settings.VAR_DIR = blocker
    resp = post("/api/v1/events", json=event(), headers=key_headers(shop))
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    assert resp.json()["code"] == "unavailable" and resp.json()["detail"]
