"""A Cafe24 Admin API client on httpx: version header, per-mall leaky bucket, typed errors.

Cafe24 meters each mall with leaky buckets (drain 2 calls/s; 40 deep for most endpoints, script
tags 10, sending SMS 1: https://developers.cafe24.com/docs/api/admin/#api-call-limit) and reports
the level in ``X-Api-Call-Limit: used/size``. We keep a mirror of each bucket per mall and wait
before the call that would overflow it, because calling while blocked extends the block.
A 429 is honoured with ``X-Cafe24-Call-Remain`` (seconds) or exponential backoff.

A call that creates something Cafe24 cannot deduplicate (``POST /sms``) is never repeated after
the request may have reached Cafe24 (a read timeout, a dropped connection, a 5xx): the message
may be queued already, so the caller gets ``Cafe24OutcomeUnknown`` instead of a second send.

Token handling is the caller's: ``token_provider(force)`` returns a valid access token and
refreshes when ``force`` is true (after a 401), so refresh stays one place with its DB lock.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import httpx

API_VERSION = "2026-03-01"
DRAIN_PER_SECOND = 2.0
SENDERS_PER_PAGE = 100
CUSTOMERS_PER_CALL = 100
# Sender auth_status codes (https://developers.cafe24.com/docs/api/admin/#retrieve-a-list-of-sms-senders):
# 00 deleted, 10 registered, 20 under review, 30 verified, 40 rejected. Only a verified sender sends.
SENDER_VERIFIED = "30"


class Cafe24Error(Exception):
    status = 0
    code = "error"

    def __init__(self, message: str, *, status: int = 0, code: str = "", body=None):
        super().__init__(message)
        self.status = status or self.status
        self.code = code or self.code
        self.body = body


class Cafe24AuthError(Cafe24Error):
    """401: the access token is wrong or expired (refresh and retry once)."""
    code = "unauthorized"


class Cafe24Revoked(Cafe24Error):
    """The refresh token no longer works or the app was removed: reconnect from settings."""
    code = "revoked"


class Cafe24ScopeError(Cafe24Error):
    """403: a scope is missing or the app was removed from the mall."""
    code = "forbidden"


class Cafe24RateLimited(Cafe24Error):
    code = "rate_limited"


class Cafe24ServerError(Cafe24Error):
    code = "server_error"


class Cafe24OutcomeUnknown(Cafe24ServerError):
    """The request may have been carried out (timeout or 5xx after it was sent); never resend it."""
    code = "outcome_unknown"


@dataclass
class _Bucket:
    used: float = 0.0
    size: float = 40.0
    at: float = field(default_factory=time.monotonic)
    blocked_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def level(self, now: float) -> float:
        return max(0.0, self.used - (now - self.at) * DRAIN_PER_SECOND)


_buckets: dict[tuple[str, str], _Bucket] = {}
_buckets_lock = threading.Lock()
# Sizes before the first answer tells us (the documented call limits); then the header rules.
BUCKET_SIZES = {"default": 40.0, "scripttags": 10.0, "sms": 1.0}


def bucket_group(method: str, path: str) -> str:
    """Which of the mall's buckets a call drains (script tags and sending SMS have their own)."""
    if path.startswith("/api/v2/admin/scripttags"):
        return "scripttags"
    if path == "/api/v2/admin/sms" and method.upper() == "POST":
        return "sms"
    return "default"


def bucket_for(mall_id: str, group: str = "default") -> _Bucket:
    with _buckets_lock:
        return _buckets.setdefault((mall_id, group), _Bucket(size=BUCKET_SIZES.get(group, 40.0)))


def reset_buckets() -> None:
    with _buckets_lock:
        _buckets.clear()


def base_url_for(mall_id: str, template: str = "https://{mall_id}.cafe24api.com") -> str:
    return template.format(mall_id=mall_id).rstrip("/")


class Cafe24Client:
    def __init__(self, mall_id: str, *, token_provider: Callable[[bool], str], base_url: str | None = None,
                 http: httpx.Client | None = None, max_retries: int = 4, sleep: Callable[[float], None] = time.sleep,
                 api_version: str = API_VERSION):
        self.mall_id = mall_id
        self.token_provider = token_provider
        self.base_url = base_url or base_url_for(mall_id)
        self.http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self.max_retries = max_retries
        self.sleep = sleep
        self.api_version = api_version
        self.bucket = bucket_for(mall_id)

    # --- rate limiting ---------------------------------------------------------------------
    def _wait_for_room(self, bucket: _Bucket) -> None:
        with bucket.lock:
            now = time.monotonic()
            wait = max(0.0, bucket.blocked_until - now)
            level = bucket.level(now)
            if level + 1 > bucket.size:
                wait = max(wait, (level + 1 - bucket.size) / DRAIN_PER_SECOND)
        if wait > 0:
            self.sleep(wait)

    def _observe(self, resp: httpx.Response, bucket: _Bucket) -> None:
        limit = resp.headers.get("X-Api-Call-Limit", "")
        with bucket.lock:
            now = time.monotonic()
            if "/" in limit:
                used, _, size = limit.partition("/")
                try:
                    bucket.used, bucket.size, bucket.at = float(used), float(size), now
                except ValueError:
                    pass
            remain = resp.headers.get("X-Cafe24-Call-Remain")
            if remain:
                try:
                    bucket.blocked_until = max(bucket.blocked_until, now + float(remain))
                except ValueError:
                    pass

    # --- requests --------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params=None, json=None, resend_safe: bool = True) -> dict:
        """One Admin API call. ``resend_safe=False`` for calls that must happen at most once:
        they are repeated only when Cafe24 certainly did not act (no connection, 401, 429)."""
        bucket = self.bucket if bucket_group(method, path) == "default" else \
            bucket_for(self.mall_id, bucket_group(method, path))
        forced = False
        attempt = 0
        while True:
            self._wait_for_room(bucket)
            token = self.token_provider(forced)
            try:
                resp = self.http.request(method, self.base_url + path, params=params, json=json, headers={
                    "Authorization": f"Bearer {token}", "X-Cafe24-Api-Version": self.api_version,
                    "Content-Type": "application/json"})
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                if not resend_safe and not never_sent:
                    raise Cafe24OutcomeUnknown(f"Cafe24의 응답을 받지 못했습니다 (처리 여부 알 수 없음): {exc}") from exc
                if attempt >= self.max_retries:
                    raise Cafe24ServerError(f"Cafe24에 연결하지 못했습니다: {exc}") from exc
                self.sleep(min(30.0, 0.5 * 2 ** attempt))
                attempt += 1
                continue
            self._observe(resp, bucket)
            if resp.status_code == 401 and not forced:
                forced = True  # one refresh, then the same request again
                continue
            if resp.status_code >= 500 and not resend_safe:
                err = self._error(resp)
                raise Cafe24OutcomeUnknown(str(err), status=resp.status_code, code=Cafe24OutcomeUnknown.code,
                                           body=err.body)
            if resp.status_code == 429 or resp.status_code in (500, 503, 504):
                if attempt >= self.max_retries:
                    raise self._error(resp)
                remain = resp.headers.get("X-Cafe24-Call-Remain") or resp.headers.get("Retry-After")
                try:
                    delay = float(remain) if remain else 0.5 * 2 ** attempt
                except ValueError:
                    delay = 0.5 * 2 ** attempt
                self.sleep(min(60.0, delay))
                attempt += 1
                continue
            if resp.status_code >= 400:
                raise self._error(resp)
            return resp.json() if resp.content else {}

    @staticmethod
    def _error(resp: httpx.Response) -> Cafe24Error:
        try:
            body = resp.json()
            err = body.get("error", {}) if isinstance(body, dict) else {}
        except ValueError:
            body, err = resp.text[:500], {}
        message = (err.get("message") if isinstance(err, dict) else None) or resp.reason_phrase
        cls = {401: Cafe24AuthError, 403: Cafe24ScopeError, 429: Cafe24RateLimited}.get(resp.status_code)
        if cls is None:
            cls = Cafe24ServerError if resp.status_code >= 500 else Cafe24Error
        return cls(f"Cafe24 {resp.status_code}: {message}", status=resp.status_code,
                   code=str(err.get("code", "")) if isinstance(err, dict) else "", body=body)

    # --- endpoints we use ------------------------------------------------------------------
    def scripttags(self) -> list[dict]:
        return self.request("GET", "/api/v2/admin/scripttags").get("scripttags", [])

    def scripttag_create(self, *, src: str, integrity: str = "", shop_no: int = 1) -> dict:
        req = {"src": src, "display_location": ["all"], "exclude_path": []}
        if integrity:
            req["integrity"] = integrity
        return self.request("POST", "/api/v2/admin/scripttags",
                            json={"shop_no": shop_no, "request": req}).get("scripttag", {})

    def scripttag_update(self, script_no: str, *, src: str, shop_no: int = 1) -> dict:
        # PUT /scripttags/{script_no} (https://developers.cafe24.com/docs/api/admin/#update-a-script-tag)
        return self.request("PUT", f"/api/v2/admin/scripttags/{script_no}",
                            json={"shop_no": shop_no, "request": {"src": src}}).get("scripttag", {})

    def scripttag_delete(self, script_no: str) -> None:
        self.request("DELETE", f"/api/v2/admin/scripttags/{script_no}")

    def customers(self, member_ids: list[str]) -> list[dict]:
        """Members' consent flags (``sms``, ``news_mail``) through the list endpoint, which takes
        comma-separated ids (https://developers.cafe24.com/docs/api/admin/#retrieve-a-list-of-customers).
        Its page documents no count limit, only 20 characters per id; 100 ids a call keeps the
        URL near 2 kB and matches the SMS endpoint's 100."""
        out: list[dict] = []
        for i in range(0, len(member_ids), CUSTOMERS_PER_CALL):
            chunk = member_ids[i:i + CUSTOMERS_PER_CALL]
            out += self.request("GET", "/api/v2/admin/customers",
                                params={"member_id": ",".join(chunk)}).get("customers", [])
        return out

    def customer_privacy(self, member_id: str) -> dict | None:
        """One member's name and contact: ``customersprivacy`` documents ``member_id`` as a single
        value (https://developers.cafe24.com/docs/api/admin/#retrieve-a-list-of-customer-information)."""
        rows = self.request("GET", "/api/v2/admin/customersprivacy",
                            params={"member_id": member_id, "limit": 1}).get("customersprivacy", [])
        return next((r for r in rows if str(r.get("member_id")) == member_id), None)

    def sms_senders(self) -> list[dict]:
        """Every registered sender, page by page (limit 1-100, default 10; offset <= 8000:
        https://developers.cafe24.com/docs/api/admin/#retrieve-a-list-of-sms-senders)."""
        out: list[dict] = []
        offset = 0
        while offset <= 8000:
            page = self.request("GET", "/api/v2/admin/sms/senders",
                                params={"limit": SENDERS_PER_PAGE, "offset": offset}).get("senders", [])
            out += page
            if len(page) < SENDERS_PER_PAGE:
                break
            offset += SENDERS_PER_PAGE
        return out

    def sms_send(self, *, sender_no: int, content: str, member_ids: list[str], type_: str, title: str = "",
                 shop_no: int = 1) -> dict:
        if not 0 < len(member_ids) <= 100:
            raise ValueError("Cafe24 SMS takes 1-100 members a call")
        req = {"sender_no": sender_no, "content": content, "member_id": member_ids,
               "exclude_unsubscriber": "T", "type": type_}
        if type_ == "LMS" and title:
            req["title"] = title
        # Never resent by the client: a 5xx or a timeout may come after Cafe24 queued the message.
        return self.request("POST", "/api/v2/admin/sms", json={"shop_no": shop_no, "request": req},
                            resend_safe=False).get("sms", {})
