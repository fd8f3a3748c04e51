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
identity. ``session_id`` is new on every call. The call also records the visit's
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
- ``event_id``: UUID, optional but the SDK SHOULD send one per event (uuid4) and reuse it on
  retries: it is the deduplication key, so a resent event is counted once.
- ``created_at``: ISO 8601, optional (server time when absent; UTC when it has no offset);
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
- ``400 {"error": "...", "errors": [{"index": i, "field": f, "message": m}, ...]}``: the WHOLE
  request is rejected (nothing buffered) and every bad event is named by its 0-based index in
  ``events`` (index 0 for a single event; index null for request-level problems such as
  malformed JSON), so the SDK can drop just those and resend the rest.
- ``401`` missing or unknown ingest key; ``403`` origin not allowed, client_id mismatch or an
  inactive client; ``405`` other methods; ``413`` body over 1 MiB or more than 500 events;
  ``429`` rate limit per ingest key, with ``Retry-After`` (seconds); ``503`` the buffer is
  unavailable: nothing was accepted, retry later with the same event_ids.

Every error body is ``{"error": "<code>", "message": "<Korean text>", ...}``.
"""
from __future__ import annotations

COLLECTOR_PATHS = frozenset({"/api/v1/sessions", "/api/v1/events"})


async def app(scope, receive, send):  # replaced by the real collector below in the next commit
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"error": "collector not built yet"}'})
