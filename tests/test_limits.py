"""Concurrency limits of heavy reads (issue 17, finding 2; untitle/limits.py): per client and per
user, for ask, raw SQL, the live audience size and the exports; the excess answers 429 in the one
error body with Retry-After; a slot comes back when its request ends, or after the lease TTL when
the request died without giving it back. Both stores: Redis (REDIS_URL, as the suite runs) and the
embedded run's in-process pools."""
from __future__ import annotations

import threading
import time

import pytest
from django.test import Client as WebClient

from tenants.models import Role
from tests.factories import make_member
from tests.test_error_shape import assert_error
from untitle import limits

pytestmark = pytest.mark.django_db

ASK = {"question": "최근 7일 방문자 수", "engine": "offline", "today": "2025-08-08"}


@pytest.fixture(params=["redis", "in-process"])
def store(request, settings):
    if request.param == "in-process":
        settings.REDIS_URL = ""   # the embedded run: no Redis, one process
    else:
        assert settings.REDIS_URL, "the suite runs with Redis (bin/test sets REDIS_URL)"
    settings.QUERY_CONCURRENCY_PER_CLIENT = 3
    settings.QUERY_CONCURRENCY_PER_USER = 2
    if settings.REDIS_URL:
        # Client ids restart with each run's fresh database while Redis keeps an earlier run's
        # leases (a run stopped mid-test leaves them for the TTL): start from empty pools.
        import redis

        r = redis.Redis.from_url(settings.REDIS_URL)
        for key in r.scan_iter("untitle:limits:*"):
            r.delete(key)
    return request.param


def _held(scope: str, pk: int) -> int:
    return limits.pools().held(f"untitle:limits:{scope}:{pk}")


def _export(web, shop):
    """A raw-event download left open: the response streams, and its slot is held until closed."""
    res = web.get(f"/api/v1/clients/{shop.pk}/events/export", {"start": "2025-08-01", "end": "2025-08-02"})
    assert res.status_code == 200 and res.streaming, res.content if not res.streaming else res
    return res


def _close(res):
    """A client hanging up mid-download. As Django's test client does around its own close(), keep
    request_finished from closing the test's database connection."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        res.close()
    finally:
        request_finished.connect(close_old_connections)


def _logged_in(user):
    web = WebClient()
    web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return web


def test_concurrent_takes_admit_exactly_the_limit(store, shop):
    """Twelve requests of one client arrive at once (a barrier): exactly three get a slot."""
    users = [make_member(shop, Role.MARKETER) for _ in range(12)]
    barrier = threading.Barrier(len(users))
    got, refused = [], []

    def take(user):
        barrier.wait()
        try:
            got.append(limits.acquire(limits.Kind.ASK, client_id=shop.pk, user_id=user.pk))
        except limits.Busy as exc:
            refused.append(exc)

    threads = [threading.Thread(target=take, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3 and len(refused) == 9
    assert all(e.status == 429 and e.code == "throttled" and e.retry_after >= 1 for e in refused)
    assert _held("client", shop.pk) == 3
    for lease in got:
        lease.release()
    assert _held("client", shop.pk) == 0


def test_the_excess_request_gets_429_and_the_slot_comes_back_after_the_request(store, shop, login):
    marketer = make_member(shop, Role.MARKETER)
    web = _logged_in(marketer)
    first, second = _export(web, shop), _export(web, shop)   # both of this user's slots, streaming
    assert _held("user", marketer.pk) == 2

    res = web.post(f"/api/v1/clients/{shop.pk}/ask", ASK, content_type="application/json")
    body = assert_error(res, 429, "throttled")
    assert "사용자당 2개" in body["detail"]
    assert int(res["Retry-After"]) >= 1
    assert_error(web.post(f"/api/v1/clients/{shop.pk}/sql", {"sql": "SELECT count() FROM event"},
                          content_type="application/json"), 429, "throttled")
    assert_error(web.post(f"/api/v1/clients/{shop.pk}/audiences/size",
                          {"rules": {"op": "and", "items": [{"filter": "order_count", "params": {"days": 7}}]}},
                          content_type="application/json"), 429, "throttled")
    assert_error(web.get(f"/api/v1/clients/{shop.pk}/events/export",
                         {"start": "2025-08-01", "end": "2025-08-02"}), 429, "throttled")

    # A colleague takes the shop's third slot; then the shop is full for everyone.
    colleague = _logged_in(make_member(shop, Role.MARKETER))
    third = _export(colleague, shop)
    res = colleague.post(f"/api/v1/clients/{shop.pk}/ask", ASK, content_type="application/json")
    assert "쇼핑몰에서 동시에 실행할 수 있는 조회는 3개" in assert_error(res, 429, "throttled")["detail"]

    # Reading a download to its end gives its slot back; so does closing one half-read.
    b"".join(first.streaming_content)
    _close(second)
    assert _held("user", marketer.pk) == 0 and _held("client", shop.pk) == 1
    res = web.post(f"/api/v1/clients/{shop.pk}/ask", ASK, content_type="application/json")
    assert res.status_code == 200, res.content
    assert _held("client", shop.pk) == 1   # the answered question gave its slot back at once
    _close(third)
    assert _held("client", shop.pk) == 0


def test_a_slot_whose_request_died_comes_back_after_the_ttl(store, shop, settings):
    settings.QUERY_LEASE_TTL = 1.0
    marketer = make_member(shop, Role.MARKETER)
    web = _logged_in(marketer)
    # Taken and never given back, as by a worker killed mid-request.
    limits.acquire(limits.Kind.SQL, client_id=shop.pk, user_id=marketer.pk)
    limits.acquire(limits.Kind.SQL, client_id=shop.pk, user_id=marketer.pk)
    assert_error(web.post(f"/api/v1/clients/{shop.pk}/ask", ASK, content_type="application/json"), 429)
    time.sleep(1.2)
    res = web.post(f"/api/v1/clients/{shop.pk}/ask", ASK, content_type="application/json")
    assert res.status_code == 200, res.content


def test_a_long_download_renews_its_lease_while_it_streams(store, shop, settings):
    settings.QUERY_LEASE_TTL = 0.6
    lease = limits.acquire(limits.Kind.EVENT_EXPORT, client_id=shop.pk, user_id=None)

    def slow_chunks():
        for _ in range(6):
            time.sleep(0.25)
            yield b"x"

    stream = lease.hold_while(slow_chunks())
    assert b"".join(stream) == b"x" * 6   # 1.5 s, well past the 0.6 s TTL
    assert lease.released and _held("client", shop.pk) == 0


def test_a_lease_renewed_mid_stream_is_still_held(store, shop, settings):
    settings.QUERY_LEASE_TTL = 0.6
    lease = limits.acquire(limits.Kind.EVENT_EXPORT, client_id=shop.pk, user_id=None)
    stream = lease.hold_while(iter([b"a", b"b", b"c"]))
    for _ in range(2):
        time.sleep(0.3)
        next(stream)
    time.sleep(0.35)   # 0.95 s after taking it: only a renewal keeps it
    assert _held("client", shop.pk) == 1
    stream.close()
    assert _held("client", shop.pk) == 0


def test_limits_unreachable_let_the_read_run(shop, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"   # nothing listens there
    lease = limits.acquire(limits.Kind.ASK, client_id=shop.pk, user_id=None)
    lease.release()
    assert "concurrency limits unavailable" in caplog.text
