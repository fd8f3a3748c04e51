"""How many heavy reads run at once: per client and per user, for asking, raw SQL, the live audience
size and the exports (segment and raw events). Issue 17, finding 2: three concurrent heavy queries
of one marketer took the embedded process from 0.6 to 5.8 GB.

A read takes a *lease* on a slot in two pools, its client's and its user's, before it touches
ClickHouse, and gives it back when it ends (a streamed download: when the stream closes). Every
lease carries an expiry, so a request killed before it could give its slot back (kill -9, a lost
connection) frees it after ``QUERY_LEASE_TTL`` seconds; a stream renews its lease while it runs.
One pool per scope is shared by every kind of read, because they share one memory budget
(``events.clickhouse.READ_SETTINGS["max_memory_usage"]`` is sized for the default limits).

The pools live in Redis when ``REDIS_URL`` is set (every web process of a deployment counts
against the same slots; one Lua script checks and takes both atomically) and in this process
otherwise: the embedded run is one process, so its memory is exactly what the local pools guard.

Defaults follow PostHog, which lets an API client run 3 queries at once per team (project):
``get_api_team_rate_limiter`` in PostHog/posthog ``posthog/clickhouse/client/limit.py``, also a
Redis sorted set of leases with a TTL; and 2 per user, so one marketer cannot take all of a
shop's slots.
"""
from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Iterable, Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import AppError, CommonCode

log = logging.getLogger(__name__)


class Kind(StrEnum):
    """What holds a slot; the same pools for all (one memory budget), named in logs."""

    ASK = "ask"
    SQL = "sql"
    AUDIENCE_SIZE = "audience_size"
    SEGMENT_EXPORT = "segment_export"
    EVENT_EXPORT = "event_export"


class Busy(AppError):
    """Every slot of the client's or the user's pool is taken: 429 with Retry-After."""

    status = 429
    default_code = CommonCode.THROTTLED

    def __init__(self, message: str, *, retry_after: int, scope: str):
        super().__init__(message, detail=f"scope={scope}")
        self.retry_after = retry_after
        self.scope = scope


@dataclass(frozen=True)
class Scope:
    key: str
    limit: int
    name: str   # "client" or "user", for the message


def _scopes(*, client_id: int, user_id: int | None) -> list[Scope]:
    scopes = [Scope(f"untitle:limits:client:{client_id}", settings.QUERY_CONCURRENCY_PER_CLIENT, "client")]
    if user_id is not None:
        scopes.append(Scope(f"untitle:limits:user:{user_id}", settings.QUERY_CONCURRENCY_PER_USER, "user"))
    return scopes


# --- the two stores of leases ---------------------------------------------------------------

class LocalPools:
    """This process's leases: {scope key: {token: expires at (monotonic)}} under one lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._leases: dict[str, dict[str, float]] = {}

    def take(self, scopes: list[Scope], token: str, ttl: float) -> Scope | None:
        now = time.monotonic()
        with self._lock:
            for scope in scopes:
                held = self._leases.setdefault(scope.key, {})
                for t in [t for t, exp in held.items() if exp <= now]:
                    del held[t]
                if len(held) >= scope.limit:
                    return scope
            for scope in scopes:
                self._leases[scope.key][token] = now + ttl
        return None

    def renew(self, scopes: list[Scope], token: str, ttl: float) -> None:
        with self._lock:
            for scope in scopes:
                held = self._leases.get(scope.key, {})
                if token in held:
                    held[token] = time.monotonic() + ttl

    def give_back(self, scopes: list[Scope], token: str) -> None:
        with self._lock:
            for scope in scopes:
                self._leases.get(scope.key, {}).pop(token, None)

    def held(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            return sum(1 for exp in self._leases.get(key, {}).values() if exp > now)


# KEYS = the scopes' sorted sets (member = lease token, score = expiry in ms of Redis' own clock,
# so web processes with skewed clocks agree). ARGV = ttl ms, token, then one limit per key.
# Returns 0 when taken, else the 1-based index of the first full scope.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[2])
  redis.call('PEXPIRE', key, ttl)
end
return 0
"""
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return 0
"""


class RedisPools:
    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._take = self._redis.register_script(_TAKE)
        self._renew = self._redis.register_script(_RENEW)

    def take(self, scopes: list[Scope], token: str, ttl: float) -> Scope | None:
        full = int(self._take(keys=[s.key for s in scopes], args=[int(ttl * 1000), token, *[s.limit for s in scopes]]))
        return scopes[full - 1] if full else None

    def renew(self, scopes: list[Scope], token: str, ttl: float) -> None:
        self._renew(keys=[s.key for s in scopes], args=[int(ttl * 1000), token])

    def give_back(self, scopes: list[Scope], token: str) -> None:
        pipe = self._redis.pipeline()
        for scope in scopes:
            pipe.zrem(scope.key, token)
        pipe.execute()

    def held(self, key: str) -> int:
        return int(self._redis.zcount(key, f"({int(time.time() * 1000)}", "+inf"))


_local_pools = LocalPools()
_redis_pools: dict[str, RedisPools] = {}


def pools() -> LocalPools | RedisPools:
    url = settings.REDIS_URL
    if not url:
        return _local_pools
    if url not in _redis_pools:
        _redis_pools[url] = RedisPools(url)
    return _redis_pools[url]


# --- leases ---------------------------------------------------------------------------------

@dataclass
class Lease:
    """One read's slot in its pools; give it back with ``release()`` (idempotent)."""

    kind: str
    scopes: list[Scope]
    token: str
    ttl: float
    store: LocalPools | RedisPools | None   # None: the pools were unreachable and the read went ahead
    renewed_at: float = field(default_factory=time.monotonic)
    released: bool = False

    def renew_if_due(self) -> None:
        # A third of the TTL: two renewals may fail in a row before another request can take the slot.
        if self.store is None or self.released or time.monotonic() - self.renewed_at < self.ttl / 3:
            return
        try:
            self.store.renew(self.scopes, self.token, self.ttl)
        except Exception as exc:   # the pools' store being down must not break a running download
            log.warning("could not renew a %s lease: %s", self.kind, exc)
        self.renewed_at = time.monotonic()

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if self.store is None:
            return
        try:
            self.store.give_back(self.scopes, self.token)
        except Exception as exc:   # the expiry frees it anyway
            log.warning("could not give back a %s lease (it expires in %.0f s): %s", self.kind, self.ttl, exc)

    def hold_while(self, chunks: Iterable[bytes]) -> "HeldStream":
        return HeldStream(self, iter(chunks))


class HeldStream:
    """A streamed body that holds its lease until it is exhausted or closed (also never started:
    a generator's ``finally`` would not run then). Renews the lease as chunks go out."""

    def __init__(self, lease: Lease, chunks: Iterator[bytes]):
        self.lease, self._chunks = lease, chunks

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except BaseException:
            self.close()
            raise
        self.lease.renew_if_due()
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self.lease.release()


def _busy_message(scope: Scope) -> str:
    if scope.name == "user":
        return _("동시에 실행할 수 있는 조회는 사용자당 %(n)d개입니다. 진행 중인 조회가 끝난 뒤 다시 시도해 주세요.") % {
            "n": scope.limit}
    return _("이 쇼핑몰에서 동시에 실행할 수 있는 조회는 %(n)d개입니다. 잠시 후 다시 시도해 주세요.") % {"n": scope.limit}


def acquire(kind: str, *, client_id: int, user_id: int | None) -> Lease:
    """A slot in the client's and the user's pools, or ``Busy``. Release it (or use ``slot``)."""
    scopes = _scopes(client_id=client_id, user_id=user_id)
    token = f"{kind}:{uuid.uuid4().hex}"
    ttl = float(settings.QUERY_LEASE_TTL)
    store = pools()
    try:
        full = store.take(scopes, token, ttl)
    except Exception as exc:
        # Fail open: the per-query limits (memory, rows, time) still bound each read, and a limiter
        # outage should not stop every shop from asking.
        log.warning("concurrency limits unavailable, %s runs unlimited: %s", kind, exc)
        return Lease(kind, scopes, token, ttl, None)
    if full is not None:
        log.info("%s refused: %s pool full (%d)", kind, full.name, full.limit)
        raise Busy(_busy_message(full), retry_after=max(1, math.ceil(settings.QUERY_RETRY_AFTER)), scope=full.name)
    return Lease(kind, scopes, token, ttl, store)


@contextmanager
def slot(kind: str, *, client_id: int, user_id: int | None) -> Iterator[Lease]:
    lease = acquire(kind, client_id=client_id, user_id=user_id)
    try:
        yield lease
    finally:
        lease.release()


def throttled(exc: Busy):
    """The DRF exception for ``Busy``: DRF's handler sets ``Retry-After`` from ``wait`` and ours
    writes the one error body (code ``throttled``, the Korean message)."""
    from rest_framework.exceptions import Throttled

    throttled = Throttled(detail=exc.message)
    # Set after: given to the constructor, DRF would append "available in N seconds" to the
    # message, a promise a concurrency slot cannot make.
    throttled.wait = exc.retry_after
    return throttled


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if getattr(user, "is_authenticated", False) else None


@contextmanager
def api_slot(request, kind: str, *, client_id: int) -> Iterator[Lease]:
    """``slot`` for a DRF view: a full pool is a 429 in the one body with Retry-After."""
    try:
        lease = acquire(kind, client_id=client_id, user_id=_user_id(request))
    except Busy as exc:
        raise throttled(exc) from None
    try:
        yield lease
    finally:
        lease.release()


def api_lease(request, kind: str, *, client_id: int) -> Lease:
    """A lease a DRF view hands to a stream (``lease.hold_while(chunks)``); 429 when full."""
    try:
        return acquire(kind, client_id=client_id, user_id=_user_id(request))
    except Busy as exc:
        raise throttled(exc) from None
