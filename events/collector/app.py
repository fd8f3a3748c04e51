"""The collector: a lean ASGI app for the storefront SDK, outside Django's request stack.

Contract with the SDK (stable; change only by adding)
=====================================================

Authentication
--------------
Every request carries the client's public ingest key, in this order of precedence:
header ``X-Untitle-Key: <ingest_key>``, query ``?key=<ingest_key>`` (``navigator.sendBeacon``
cannot set headers), or a top-level ``"ingest_key"`` in the JSON body. The body may be sent
as ``application/json`` or ``text/plain`` (sendBeacon / simple CORS requests); it is always
parsed as UTF-8 JSON. Bodies are limited to 1 MiB.

CORS
----
``OPTIONS`` preflight answers 204 with ``Access-Control-Allow-Methods: POST, OPTIONS``,
``Access-Control-Allow-Headers: Content-Type, X-Untitle-Key`` and ``Access-Control-Max-Age:
86400``. On POST, a request with an ``Origin`` header must come from an allowed origin of the
key's client, else 403 ``origin_not_allowed``; allowed origins get
``Access-Control-Allow-Origin: <their origin>`` echoed (never ``*``; no credentials needed).
Allowed = ``https://{mall_id}.cafe24.com``, ``https://m.{mall_id}.cafe24.com``,
``https://{mall_id}.cafe24shop.com``, ``https://m.{mall_id}.cafe24shop.com`` plus every entry of
the client's ``allowed_origins`` (exact origins like ``https://www.myshop.co.kr`` or one leading
wildcard label, ``https://*.myshop.co.kr``). Requests without ``Origin`` (server to server) are
accepted: the key is public, the origin check only stops other sites from posting as the shop.

POST /api/v1/sessions
---------------------
Request::

    {"client_id": 1, "device_id": "d8b69cd5-0bfe-4be6-8f0f-a5060a1e9085",
     "page_url": "...", "referrer": "...", "utm_source": "...", ...}   # all but device_id optional

``device_id`` is the browser's persistent first-party id (any string of 1-128 chars, kept by the
SDK in localStorage). ``client_id``, when present, must be the key's client (else 403).
Response ``201``::

    {"uuid": "<visitor uuid>", "session_id": "<uuid>", "event_id": "<uuid>"}

``uuid`` is stable for (client, device_id): uuid5 of both, so a returning browser keeps its
identity. ``session_id`` is new on every call: the visit's start time in milliseconds inside a UUID
(``018f2c3a-91b2-8000-8000-000000000000``, as Amplitude's session id is the start time; a
session is the pair (uuid, session_id)); send it with every event of the visit. The call also records the visit's
``session_start`` event (code 1, with page_url/referrer/utm_* from the body) whose id is
``event_id``: the SDK must NOT send code 1 itself.

POST /api/v1/events
-------------------
Request: one event object, or a batch of 1-500 events::

    {"event_type": 82, "uuid": "...", "product_id": "3"}
    {"client_id": 1, "uuid": "...", "session_id": "...", "events": [{...}, {...}]}

Top-level ``uuid`` / ``session_id`` of a batch are defaults for events that lack them. Event
fields are the ``event`` table's columns:

- ``event_type`` (required): a catalog code (int) or its name (``"product_view_start"``);
  see ``GET /api/v1/event-types`` for codes and each type's required fields.
- ``uuid`` (required): the visitor uuid from /sessions.  ``session_id``: UUID, optional.
- ``event_id``: UUID, optional but the SDK SHOULD send one per event (any UUID, e.g.
  crypto.randomUUID()) and reuse it on retries together with the same ``created_at``: a resent
  event is then counted once. The stored ``event.event_id`` is a compact time-ordered id derived
  from (client, created_at, the SDK's id) -- see events/ingest/rows.py -- not the SDK's value.
  An event resent WITHOUT created_at gets the server's time on each attempt and counts as new,
  so the SDK must keep the created_at it first sent (correct it by the server offset if the
  device clock is off rather than dropping it).
- ``created_at``: ISO 8601 or epoch milliseconds, optional (server time when absent; UTC when
  an ISO string has no offset);
  must be at most 5 minutes in the future and at most 7 days old (history goes through
  ``manage.py import_events``). Sending it also makes retries of the same event identical.
- strings (<= 512 chars; numbers are accepted and turned into strings): order_id, tracking_id,
  product_id, product_option_id1, product_option_id2, keyword, sort_by, board_id, article_id,
  login_id, category_id, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
  device_type (<= 32); page_url and referrer (<= 2048).
- integers: product_quantity and page (0-255), price and amount (0-4294967295, KRW),
  scroll_bucket (0-10 = 0-100 %).
- ``phone_number``: never stored raw; only an HMAC-SHA256 of its digits under a key derived
  from SECRET_KEY is kept (so it can be matched, not read).
- ``client_id`` inside an event, if sent, must be the key's client. Any other field is an error.

Responses:

- ``202 {"accepted": n}`` once every event of the request is durably buffered (Redis stream
  with appendonly in production, an fsynced local spool in the embedded run).
- ``400 {"code": "invalid_events", "detail": "...", "fields": {"events.<i>.<field>": m, ...}}``:
  the WHOLE request is rejected (nothing buffered) and every bad event is named by its 0-based
  index in ``events`` (index 0 for a single event), so the SDK can drop just those and resend
  the rest. Request-level problems name the request's own field (``"device_id"``, ``"events"``)
  or, with none to name (malformed JSON), only say why in ``detail``.
- ``401`` missing or unknown ingest key; ``403`` origin not allowed, client_id mismatch or an
  inactive client; ``405`` other methods; ``413`` body over 1 MiB or more than 500 events;
  ``429`` rate limit per ingest key, with ``Retry-After`` (seconds); ``503`` the buffer is
  unavailable: nothing was accepted, retry later with the same event_ids.

Every error body is the product's one error shape (README, "API errors"):
``{"code": "<code>", "detail": "<Korean text>", "fields": {...}}`` (``fields`` only when a field
is named); the codes are ``events.errors.EventsErrorCode``.

Rate limit: a token bucket per ingest key, COLLECTOR_RATE_PER_KEY requests/s (default 2,000)
with bursts of COLLECTOR_BURST_PER_KEY; kept in Redis next to the stream (one Lua call does the
check and the XADD), or in process memory for the spool buffer, where each worker process
counts on its own.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid as uuidlib
from datetime import datetime, timezone
from urllib.parse import parse_qs

import orjson

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    os.environ["DJANGO_SETTINGS_MODULE"] = "untitle.settings"
import django  # noqa: E402
from django.apps import apps as django_apps  # noqa: E402

if not django_apps.ready:  # run standalone (uvicorn events.collector.app:app)
    django.setup()

from django.conf import settings  # noqa: E402

from events.catalog import Code  # noqa: E402
from events.collector.origins import ClientInfo, client_info_from  # noqa: E402,F401  (client_info_from: old import path)
from events.errors import EventsErrorCode as E  # noqa: E402
from events.ingest.buffer import APPEND_LUA, BufferUnavailable, entry_header, stream_key  # noqa: E402
from events.ingest.rows import EventInvalid, new_session_id, normalize  # noqa: E402
from untitle.errors import error_body  # noqa: E402

log = logging.getLogger(__name__)

COLLECTOR_PATHS = frozenset({"/api/v1/sessions", "/api/v1/events"})
MAX_BODY = 1024 * 1024
MAX_EVENTS = 500
VISITOR_NAMESPACE = uuidlib.uuid5(uuidlib.NAMESPACE_URL, "https://untitle.app/visitor")
_BATCH_FIELDS = frozenset({"events", "client_id", "uuid", "session_id", "ingest_key"})
_SESSION_FIELDS = frozenset({"client_id", "device_id", "ingest_key", "page_url", "referrer", "utm_source",
                             "utm_medium", "utm_campaign", "utm_content", "utm_term", "device_type"})

MESSAGES = {
    E.BAD_JSON: "요청 본문이 올바른 JSON이 아닙니다.",
    E.INVALID_EVENTS: "잘못된 이벤트가 있어 요청 전체를 거부했습니다. fields의 events.<index>를 확인하세요.",
    E.INVALID_REQUEST: "요청 형식이 올바르지 않습니다.",
    E.MISSING_KEY: "수집 키(X-Untitle-Key)가 없습니다.",
    E.UNKNOWN_KEY: "알 수 없는 수집 키입니다.",
    E.INACTIVE_CLIENT: "비활성화된 고객사입니다.",
    E.CLIENT_MISMATCH: "client_id가 수집 키의 고객사와 다릅니다.",
    E.ORIGIN_NOT_ALLOWED: "허용되지 않은 출처(Origin)입니다.",
    E.METHOD_NOT_ALLOWED: "POST만 지원합니다.",
    E.TOO_LARGE: "요청 본문은 1 MiB를 넘을 수 없습니다.",
    E.TOO_MANY_EVENTS: "한 번에 보낼 수 있는 이벤트는 500개까지입니다.",
    E.RATE_LIMITED: "요청이 너무 많습니다. 잠시 후 다시 보내세요.",
    E.UNAVAILABLE: "일시적으로 이벤트를 받을 수 없습니다. 잠시 후 같은 event_id로 다시 보내세요.",
    E.NOT_FOUND: "없는 경로입니다.",
    E.INTERNAL: "서버 오류가 발생했습니다.",
}


class HTTPError(Exception):
    """An error answer: status, code, and the field messages of ``untitle.errors.error_body``.

    ``detail`` replaces the code's message when the request as a whole has one reason to give
    (e.g. "JSON 객체여야 합니다."); ``cors`` is set once the origin is known to be allowed.
    """

    def __init__(self, status: int, code: E, *, fields: dict | None = None, detail: str | None = None,
                 retry_after: int | None = None):
        self.status, self.code, self.fields, self.detail = status, code, fields, detail
        self.retry_after = retry_after
        self.cors = False


def event_field(index: int, field: str | None) -> str:
    """The ``fields`` key naming one event of the request (index 0 for a single event)."""
    return f"events.{index}.{field}" if field else f"events.{index}"


# ---------------------------------------------------------------------------------------------
# Ingest key -> client, cached in memory: the ORM is too slow for every request.
# ---------------------------------------------------------------------------------------------
class ClientCache:
    def __init__(self, ttl: float = 30.0, negative_ttl: float = 5.0):
        self.ttl, self.negative_ttl = ttl, negative_ttl
        self._items: dict[str, tuple[float, ClientInfo | None]] = {}

    @staticmethod
    def _load(key: str) -> ClientInfo | None:
        from django.db import connections

        from tenants.models import Client

        try:
            row = Client.objects.filter(ingest_key=key).values("id", "is_active", "mall_id", "allowed_origins").first()
        finally:
            # Misses are rare (cached per TTL); an idle connection per executor thread is not worth keeping.
            connections.close_all()
        return client_info_from(row) if row else None

    async def get(self, key: str) -> ClientInfo | None:
        hit = self._items.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        info = await asyncio.to_thread(self._load, key)
        if len(self._items) > 100_000:
            self._items.clear()
        self._items[key] = (now + (self.ttl if info else self.negative_ttl), info)
        return info

    def clear(self) -> None:
        self._items.clear()


# ---------------------------------------------------------------------------------------------
# Buffer + rate limit
# ---------------------------------------------------------------------------------------------
class InProcessLimiter:
    """Token bucket per ingest key for the embedded run (one process, no Redis)."""

    def __init__(self):
        self._buckets: dict[str, list[float]] = {}

    def wait_ms(self, key: str, rate: float, burst: float) -> int:
        if rate <= 0:
            return 0
        now = time.monotonic()
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = [burst, now]
        tokens = min(burst, b[0] + (now - b[1]) * rate)
        b[1] = now
        if tokens < 1:
            b[0] = tokens
            return max(1, int((1 - tokens) * 1000 / rate) + 1)
        b[0] = tokens - 1
        return 0


class SpoolSink:
    def __init__(self):
        from events.ingest.flusher import _spool

        # A spool that cannot be created or written (read-only or full disk) is the buffer being
        # down, like Redis unreachable: 503 with Retry-After, and nothing is answered as kept.
        try:
            self.spool = _spool(str(settings.VAR_DIR / "spool"))
        except OSError as exc:
            raise BufferUnavailable(f"spool: {exc}") from exc
        self.limiter = InProcessLimiter()

    async def append(self, key: str, client_id: int, records: list[dict], rate: float, burst: float) -> int:
        wait = self.limiter.wait_ms(key, rate, burst)
        if wait:
            return wait
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.spool.append, records)
        except OSError as exc:
            raise BufferUnavailable(f"spool: {exc}") from exc
        return 0

    async def close(self):
        pass


class RedisSink:
    def __init__(self, url: str, shards: int):
        import redis.asyncio as aioredis

        self.redis = aioredis.Redis.from_url(url, max_connections=256)
        self.shards = shards
        self.script = self.redis.register_script(APPEND_LUA)

    async def append(self, key: str, client_id: int, records: list[dict], rate: float, burst: float) -> int:
        try:
            wait = await self.script(keys=[f"untitle:ratelimit:{key}", stream_key(client_id % self.shards)],
                                     args=[rate, burst, orjson.dumps(records), entry_header(records)])
        except Exception as exc:
            raise BufferUnavailable(str(exc)) from exc
        return int(wait)

    async def close(self):
        await self.redis.aclose()


def make_sink():
    kind = settings.COLLECTOR_BUFFER or ("redis" if settings.REDIS_URL else "spool")
    if kind == "redis":
        return RedisSink(settings.REDIS_URL, settings.COLLECTOR_SHARDS)
    return SpoolSink()


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------
class Collector:
    def __init__(self):
        self.clients = ClientCache(ttl=settings.COLLECTOR_CLIENT_CACHE_TTL)
        self._sink = None

    @property
    def sink(self):
        # Built lazily, inside the worker process and its event loop.
        if self._sink is None:
            self._sink = make_sink()
        return self._sink

    async def reset(self):
        """Forget cached clients and the buffer connection (tests switching settings)."""
        if self._sink is not None:
            await self._sink.close()
        self._sink = None
        self.clients.clear()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        headers = {}
        for k, v in scope["headers"]:
            headers[k] = v
        origin = headers.get(b"origin", b"").decode("latin-1")
        cors = None
        try:
            path = scope["path"].rstrip("/")
            if path not in COLLECTOR_PATHS:
                raise HTTPError(404, E.NOT_FOUND)
            method = scope["method"]
            if method == "OPTIONS":
                return await self._preflight(send, origin)
            if method != "POST":
                raise HTTPError(405, E.METHOD_NOT_ALLOWED)
            body = await self._read_body(receive, headers)
            status, payload, cors = await self._handle(path, scope, headers, origin, body)
        except HTTPError as exc:
            payload = error_body(exc.code, exc.detail or MESSAGES[exc.code], fields=exc.fields)
            if exc.code != E.ORIGIN_NOT_ALLOWED and origin and exc.cors:
                cors = origin
            return await self._respond(send, exc.status, payload, cors, exc.retry_after)
        except Exception:
            log.exception("collector: unexpected error")
            return await self._respond(send, 500, error_body(E.INTERNAL, MESSAGES[E.INTERNAL]), None)
        return await self._respond(send, status, payload, cors)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._sink is not None:
                    await self._sink.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _read_body(receive, headers) -> bytes:
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            raise HTTPError(413, E.TOO_LARGE)
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise HTTPError(400, E.INVALID_REQUEST)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise HTTPError(413, E.TOO_LARGE)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _preflight(self, send, origin: str):
        hdrs = [(b"access-control-allow-methods", b"POST, OPTIONS"),
                (b"access-control-allow-headers", b"Content-Type, X-Untitle-Key"),
                (b"access-control-max-age", b"86400"), (b"vary", b"Origin"),
                (b"content-length", b"0")]
        if origin:
            # The key (and so the client's allow-list) is not known yet: the real POST is checked.
            hdrs.append((b"access-control-allow-origin", origin.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": hdrs})
        await send({"type": "http.response.body", "body": b""})

    async def _respond(self, send, status: int, payload: dict, cors: str | None, retry_after: int | None = None):
        body = orjson.dumps(payload)
        hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store")]
        if cors:
            hdrs.append((b"access-control-allow-origin", cors.encode("latin-1")))
            hdrs.append((b"vary", b"Origin"))
        if retry_after is not None:
            hdrs.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, path, scope, headers, origin, body):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise HTTPError(400, E.BAD_JSON)
        if not isinstance(data, dict):
            raise HTTPError(400, E.INVALID_REQUEST, detail="JSON 객체여야 합니다.")
        key = headers.get(b"x-untitle-key", b"").decode("latin-1").strip()
        if not key and scope.get("query_string"):
            key = (parse_qs(scope["query_string"].decode("latin-1")).get("key") or [""])[0]
        if not key:
            key = data.get("ingest_key") if isinstance(data.get("ingest_key"), str) else ""
        if not key:
            raise HTTPError(401, E.MISSING_KEY)
        if len(key) > 128:
            raise HTTPError(401, E.UNKNOWN_KEY)
        client = await self.clients.get(key)
        if client is None:
            raise HTTPError(401, E.UNKNOWN_KEY)
        cors = None
        if origin:
            if not client.allows(origin.lower()):
                raise HTTPError(403, E.ORIGIN_NOT_ALLOWED)
            cors = origin
        try:
            return await self._accept(path, key, client, data, cors)
        except HTTPError as exc:
            exc.cors = bool(cors)  # let the storefront's script read why
            raise

    async def _accept(self, path, key, client, data, cors):
        if not client.is_active:
            raise HTTPError(403, E.INACTIVE_CLIENT)
        if "client_id" in data and data["client_id"] != client.id:
            raise HTTPError(403, E.CLIENT_MISMATCH)
        if path == "/api/v1/sessions":
            records, payload = self._session(client, data)
            status = 201
        else:
            records = self._events(client, data)
            payload = {"accepted": len(records)}
            status = 202
        try:
            wait = await self.sink.append(key, client.id, records, settings.COLLECTOR_RATE_PER_KEY,
                                          settings.COLLECTOR_BURST_PER_KEY)
        except BufferUnavailable as exc:
            # One line per 503: during an outage a traceback per request buries every other log
            # line, and the cause is always the buffer's own error message.
            log.warning("collector: buffer unavailable, answered 503 (client %s): %s",
                        client.id, " ".join(str(exc).split())[:300])
            raise HTTPError(503, E.UNAVAILABLE, retry_after=1)
        if wait:
            raise HTTPError(429, E.RATE_LIMITED, retry_after=max(1, -(-wait // 1000)))
        return status, payload, cors

    @staticmethod
    def _session(client: ClientInfo, data: dict):
        unknown = data.keys() - _SESSION_FIELDS
        device_id = data.get("device_id")
        fields = {}
        if unknown:
            fields[sorted(unknown)[0]] = "알 수 없는 필드입니다."
        if not isinstance(device_id, str) or not 1 <= len(device_id) <= 128:
            fields["device_id"] = "1~128자의 문자열이어야 합니다."
        if fields:
            raise HTTPError(400, E.INVALID_REQUEST, fields=fields)
        visitor = str(uuidlib.uuid5(VISITOR_NAMESPACE, f"{client.id}:{device_id}"))
        now = datetime.now(timezone.utc)
        session_id = new_session_id(now)  # the visit's start in ms: its session_start's own time
        event = {k: v for k, v in data.items() if k not in ("client_id", "device_id", "ingest_key")}
        event.update(event_type=int(Code.SESSION_START), uuid=visitor, session_id=session_id)
        try:
            rec = normalize(client.id, event, now=now)
        except EventInvalid as exc:
            if exc.field:
                raise HTTPError(400, E.INVALID_REQUEST, fields={exc.field: exc.message})
            raise HTTPError(400, E.INVALID_REQUEST, detail=exc.message)
        return [rec], {"uuid": visitor, "session_id": session_id, "event_id": rec["event_id"]}

    @staticmethod
    def _events(client: ClientInfo, data: dict):
        if "events" in data:
            events = data["events"]
            if not isinstance(events, list) or not events:
                raise HTTPError(400, E.INVALID_REQUEST, fields={"events": "1개 이상의 이벤트 배열이어야 합니다."})
            if len(events) > MAX_EVENTS:
                raise HTTPError(413, E.TOO_MANY_EVENTS)
            unknown = data.keys() - _BATCH_FIELDS
            if unknown:
                raise HTTPError(400, E.INVALID_REQUEST, fields={sorted(unknown)[0]: "알 수 없는 필드입니다."})
            defaults = {k: data[k] for k in ("uuid", "session_id") if k in data}
        else:
            events = [{k: v for k, v in data.items() if k != "ingest_key"}]
            defaults = None
        records, fields = [], {}
        now = datetime.now(timezone.utc)
        for i, event in enumerate(events):
            try:
                records.append(normalize(client.id, event, now=now, defaults=defaults, seq=i))
            except EventInvalid as exc:
                fields[event_field(i, exc.field)] = exc.message
        if fields:
            raise HTTPError(400, E.INVALID_EVENTS, fields=fields)
        return records


app = Collector()
