"""Fuzz the collector: whatever the body, headers or method, it answers with a 2xx/4xx, never 5xx."""
import asyncio
import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from events.collector.app import Collector
from events.ingest.rows import KNOWN_FIELDS
from tests.collector_support import use_spool
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = (st.none() | st.booleans() | st.integers(min_value=-10, max_value=2**33) | st.floats()
                | st.text(max_size=30) | st.just(str(uuid.uuid4())) | st.just("2026-01-01T00:00:00Z")
                | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
event_like = st.dictionaries(st.sampled_from(sorted(KNOWN_FIELDS)) | st.text(max_size=8), field_values, max_size=8)


def dumps(value) -> bytes:
    # stdlib json: it writes ints beyond 64 bits and Infinity, both worth throwing at the parser.
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(dumps),
    event_like.map(dumps),
    st.lists(event_like, max_size=6).map(lambda evs: dumps({"events": evs})),
    st.fixed_dictionaries({"device_id": field_values, "client_id": field_values}).map(dumps),
)


@pytest.fixture
def fuzz_env(settings, tmp_path):
    spool = use_spool(settings, tmp_path)
    return make_client("퍼즈 가게", mall_id="fuzzmall"), spool


def test_collector_never_answers_5xx(fuzz_env):
    shop, spool = fuzz_env
    accepted = []
    collector = Collector()
    loop = asyncio.new_event_loop()
    transport = httpx.ASGITransport(app=collector)
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    @hsettings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(["/api/v1/events", "/api/v1/sessions"]), body=bodies,
           method=st.sampled_from(["POST", "POST", "POST", "OPTIONS", "PUT"]),
           key=st.sampled_from([None, "good", "pk_bogus", ""]),
           origin=st.sampled_from([None, "https://fuzzmall.cafe24.com", "https://evil.example", "null"]),
           ctype=st.sampled_from(["application/json", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]))
    def run(path, body, method, key, origin, ctype):
        headers = {"Content-Type": ctype}
        if key is not None:
            headers["X-Untitle-Key"] = shop.ingest_key if key == "good" else key
        if origin:
            headers["Origin"] = origin
        resp = loop.run_until_complete(http.request(method, path, content=body, headers=headers))
        assert resp.status_code < 500, (resp.status_code, resp.text)
        assert resp.status_code in (201, 202, 204) or resp.json()["detail"]
        if resp.status_code == 202:
            accepted.append(resp.json()["accepted"])
        elif resp.status_code == 201:
            accepted.append(1)

    try:
        run()
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(collector.reset())
        loop.close()
    # Garbage in between never disturbed what was accepted: every accepted event is buffered.
    assert spool.pending_events() == sum(accepted)


ERROR_KEYS = {"code", "detail", "fields", "link"}
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=60)
# Headers a storefront, a proxy or an attacker may send, with any printable value.
headers_st = st.dictionaries(
    st.sampled_from(["Content-Type", "X-Untitle-Key", "Origin", "X-Forwarded-For", "Content-Encoding",
                     "Accept", "Referer", "User-Agent", "X-Requested-With", "Accept-Language"]),
    header_text, max_size=6)
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)


def _assert_one_body(resp):
    body = resp.json()
    assert isinstance(body, dict) and {"code", "detail"} <= set(body) <= ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"] and isinstance(body["detail"], str) and body["detail"]


def _drive(collector, requests_):
    loop = asyncio.new_event_loop()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=collector), base_url="http://testserver")
    try:
        return requests_(lambda *a, **kw: loop.run_until_complete(http.request(*a, **kw)))
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(collector.reset())
        loop.close()


def test_any_json_any_bytes_any_headers_answer_4xx_in_the_one_body(fuzz_env):
    shop, spool = fuzz_env
    accepted = []

    def requests_(send):
        @hsettings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=st.one_of(st.binary(max_size=500), any_json.map(lambda v: json.dumps(v).encode()),
                              st.lists(any_json, max_size=4).map(lambda evs: dumps({"events": evs}))),
               headers=headers_st, good_key=st.booleans(),
               path=st.sampled_from(["/api/v1/events", "/api/v1/sessions"]))
        def run(body, headers, good_key, path):
            if good_key:
                headers["X-Untitle-Key"] = shop.ingest_key
            resp = send("POST", path, content=body, headers=headers)
            assert resp.status_code < 500, (resp.status_code, resp.text)
            if resp.status_code >= 400:
                _assert_one_body(resp)
            elif resp.status_code == 202:
                accepted.append(resp.json()["accepted"])
            elif resp.status_code == 201:
                accepted.append(1)

        run()

    _drive(Collector(), requests_)
    assert spool.pending_events() == sum(accepted)


def test_a_real_buffer_outage_is_the_only_5xx_and_says_so(fuzz_env, settings):
    shop, _spool = fuzz_env
    settings.COLLECTOR_BUFFER = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"   # the buffer's Redis is down: nothing listens there
    event = {"events": [{"event_type": 31, "uuid": str(uuid.uuid4()), "page_url": "/"}]}

    def requests_(send):
        @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(headers=headers_st)
        def run(headers):
            headers["X-Untitle-Key"] = shop.ingest_key
            headers["Content-Type"] = "application/json"
            resp = send("POST", "/api/v1/events", content=dumps(event), headers=headers)
            if resp.status_code >= 500:
                assert resp.status_code == 503 and resp.headers.get("retry-after"), resp.status_code
                assert resp.json()["code"] == "unavailable"
            if resp.status_code >= 400:
                _assert_one_body(resp)

        run()
        resp = send("POST", "/api/v1/events", content=dumps(event),
                    headers={"X-Untitle-Key": shop.ingest_key, "Content-Type": "application/json"})
        assert resp.status_code == 503, resp.text

    _drive(Collector(), requests_)
