"""FCM HTTP v1 client: our own service-account JWT -> OAuth token exchange, then sends.

HTTP v1 has no multicast endpoint: one POST per token. ``send_batch`` takes at most 500
messages (the firebase-admin multicast size) and sends them over pooled keep-alive connections
from a few threads. Each result says what the answer means, as FCM's error pages define it
(https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode,
https://firebase.google.com/docs/cloud-messaging/error-codes):

- ``ok``: accepted; ``message_id`` is the ``name`` FCM returned (projects/*/messages/*).
- ``unregistered`` (404 UNREGISTERED) and ``invalid`` (INVALID_ARGUMENT naming the token):
  this token is dead, delete it. Nothing else justifies deleting a subscription.
- ``payload``: INVALID_ARGUMENT whose ``google.rpc.BadRequest`` field violations are about the
  message (a link, a data value, the size), not the token. Every recipient of the same message
  would get it: stop, fix the message, deactivate nobody.
- ``config``: SENDER_ID_MISMATCH / THIRD_PARTY_AUTH_ERROR / 401 / 403: our project or keys are
  wrong; nobody's token is at fault.
- ``retry``: not delivered and safe to send later: QUOTA_EXCEEDED (429) still answered after the
  wave's waiting budget, or UNAVAILABLE / INTERNAL still failing after exponential backoff.
- ``unknown``: the connection broke after the request left: it may have been delivered, so it is
  never re-sent.
"""
from __future__ import annotations

import base64
import json
import logging
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

# httpx logs every request at INFO: one line per push message drowns the worker's log.
logging.getLogger("httpx").setLevel(logging.WARNING)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_BASE = "https://fcm.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
MAX_BATCH = 500
MAX_PAYLOAD = 4096
# The quota is per project and minute, and "429 until the quota is refilled in the following
# minute"; the minutes are not aligned to the clock, so we probe with growing gaps (1, 2, 4 ...
# 30 s) until the budget is spent: 120 s covers a full refill with room to spare.
# https://firebase.google.com/docs/cloud-messaging/throttling-and-quotas
QUOTA_STEP_MAX = 30.0
DEFAULT_QUOTA_WAIT = 120.0
# The token's own field in a BadRequest violation (a bad or truncated registration token).
TOKEN_FIELDS = {"message.token", "token"}


class FCMConfigError(Exception):
    """Credentials or project are wrong: retrying cannot help."""


@dataclass(frozen=True)
class PushMessage:
    key: str          # our delivery id, echoed back in the result
    token: str
    title: str
    body: str
    link: str = ""
    data: dict | None = None


@dataclass(frozen=True)
class PushResult:
    key: str
    outcome: str      # ok | unregistered | invalid | payload | config | retry | unknown
    status: int
    message_id: str = ""
    error: str = ""   # FCM's errorCode (or status) for logs and the delivery row
    detail: str = ""  # what FCM said was wrong (the field violation), for the marketer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def service_account_jwt(sa: dict, *, now: float | None = None) -> str:
    """The signed assertion of Google's service-account flow: RS256 over iss/scope/aud/iat/exp,
    at most one hour long (https://developers.google.com/identity/protocols/oauth2/service-account)."""
    now = int(now or time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if sa.get("private_key_id"):
        header["kid"] = sa["private_key_id"]
    claims = {"iss": sa["client_email"], "scope": SCOPE, "aud": sa.get("token_uri") or DEFAULT_TOKEN_URI,
              "iat": now, "exp": now + 3600}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None)
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(sig)}"


def is_https(url: str) -> bool:
    """FCM refuses a webpush.fcm_options.link that is not HTTPS (WebpushFcmOptions.link)."""
    return (url or "").strip().lower().startswith("https://")


class FCMClient:
    def __init__(self, service_account: dict, *, base_url: str = DEFAULT_BASE, http: httpx.Client | None = None,
                 threads: int = 16, max_retries: int = 4, sleep: Callable[[float], None] = time.sleep,
                 quota_wait: float = DEFAULT_QUOTA_WAIT):
        for k in ("project_id", "client_email", "private_key"):
            if not service_account.get(k):
                raise FCMConfigError(f"FCM_CREDENTIALS: service account lacks {k}")
        self.sa = service_account
        self.base_url = base_url.rstrip("/")
        self.threads = threads
        self.http = http or httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0),
                                         limits=httpx.Limits(max_connections=threads, max_keepalive_connections=threads))
        self.max_retries = max_retries
        self.sleep = sleep
        self.quota_wait = quota_wait
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        # One pool for the client's life: starting 32 threads per batch cost ~0.1 s a batch.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fcm")
        self._pending: list = []

    def access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            if self._token and not force and self._token[1] - 300 > time.time():
                return self._token[0]
            resp = self.http.post(self.sa.get("token_uri") or DEFAULT_TOKEN_URI, data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": service_account_jwt(self.sa)})
            if resp.status_code != 200:
                raise FCMConfigError(f"FCM OAuth token exchange failed ({resp.status_code}): {resp.text[:200]}")
            body = resp.json()
            self._token = (body["access_token"], time.time() + int(body.get("expires_in", 3600)))
            return self._token[0]

    @staticmethod
    def payload(msg: PushMessage) -> dict:
        webpush: dict = {"notification": {"title": msg.title, "body": msg.body}, "headers": {"TTL": "86400"}}
        if msg.link:
            webpush["fcm_options"] = {"link": msg.link}
        data = {k: str(v) for k, v in (msg.data or {}).items()}
        if msg.link:
            data.setdefault("link", msg.link)  # the service worker opens it on click
        body = {"message": {"token": msg.token, "webpush": webpush, "data": data}}
        if len(json.dumps(body, ensure_ascii=False).encode()) > MAX_PAYLOAD:
            raise ValueError("push payload is over FCM's 4,096 bytes")
        return body

    def send_one(self, msg: PushMessage) -> PushResult:
        if not msg.token:
            # Nothing to address: a dead subscription, not worth a request.
            return PushResult(msg.key, "invalid", 0, error="EMPTY_TOKEN")
        url = f"{self.base_url}/v1/projects/{self.sa['project_id']}/messages:send"
        try:
            body = self.payload(msg)
        except ValueError as exc:
            return PushResult(msg.key, "payload", 0, error="MESSAGE_TOO_BIG", detail=str(exc))
        refreshed = False
        server_attempts = 0
        quota_waited, quota_step = 0.0, 1.0
        while True:
            try:
                resp = self.http.post(url, json=body, headers={"Authorization": f"Bearer {self.access_token()}"})
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                status, err = 0, type(exc).__name__  # never left us: safe to retry
            except httpx.TransportError as exc:
                # The request may have reached FCM (reset or timeout while reading the answer):
                # retrying could deliver it twice, so report it and let a human decide.
                return PushResult(msg.key, "unknown", 0, error=f"{type(exc).__name__}: {exc}"[:200])
            else:
                status = resp.status_code
                if status == 200:
                    return PushResult(msg.key, "ok", 200, message_id=str(resp.json().get("name", "")))
                err, violations = _error_of(resp)
                if status == 401 and err != "THIRD_PARTY_AUTH_ERROR" and not refreshed:
                    refreshed = True  # our access token expired early: one fresh exchange
                    self.access_token(force=True)
                    continue
                if status == 429 or err == "QUOTA_EXCEEDED":
                    retry_after = _seconds(resp.headers.get("Retry-After"))
                    delay = retry_after if retry_after is not None else quota_step
                    if quota_waited + delay > self.quota_wait:
                        return PushResult(msg.key, "retry", status, error=err or "QUOTA_EXCEEDED")
                    quota_waited += delay
                    quota_step = min(QUOTA_STEP_MAX, quota_step * 2)
                    # Jitter: 32 threads probing in lockstep would meet the empty bucket together.
                    self.sleep(delay * (0.8 + 0.4 * random.random()))
                    continue
                outcome = _classify(status, err, violations)
                if outcome:
                    detail = "; ".join(f"{v.get('field', '')}: {v.get('description', '')}".strip(": ")
                                       for v in violations)[:300]
                    return PushResult(msg.key, outcome, status, error=err or str(status), detail=detail)
            # UNAVAILABLE / INTERNAL / connection refused: documented as "retry with backoff".
            if server_attempts >= self.max_retries:
                return PushResult(msg.key, "retry", status, error=err)
            delay = 0.5 * 2 ** server_attempts
            server_attempts += 1
            self.sleep(min(60.0, delay) * (0.5 + random.random()))

    def send_stream(self, messages: list[PushMessage]) -> Iterator[list[PushResult]]:
        """Results as FCM answers them, in groups: each group is everything that arrived while the
        caller handled the previous one, so the caller can store each group at once.
        ``cancel_pending`` stops requests that have not started; they come back as ``cancelled``."""
        if len(messages) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages a batch")
        if not messages:
            return
        self.access_token()  # one exchange up front, not one per thread
        arrived: queue.SimpleQueue = queue.SimpleQueue()
        futures = {}
        for m in messages:
            f = self._pool.submit(self.send_one, m)
            futures[f] = m.key
        self._pending = list(futures)
        for f in futures:
            f.add_done_callback(arrived.put)
        left = len(futures)
        try:
            while left:
                group = [arrived.get()]
                while True:
                    try:
                        group.append(arrived.get_nowait())
                    except queue.Empty:
                        break
                left -= len(group)
                yield [PushResult(futures[f], "cancelled", 0) if f.cancelled() else f.result() for f in group]
        finally:
            self._pending = []
            for f in futures:
                f.cancel()  # a caller that stops reading sends no more

    def cancel_pending(self) -> None:
        for f in list(self._pending):
            f.cancel()

    def send_batch(self, messages: list[PushMessage]) -> list[PushResult]:
        order = {m.key: i for i, m in enumerate(messages)}
        results = [r for group in self.send_stream(messages) for r in group]
        return sorted(results, key=lambda r: order[r.key])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _error_of(resp: httpx.Response) -> tuple[str, list[dict]]:
    """(errorCode or status, BadRequest field violations) of an FCM error body. A bad token
    without a violation (the error-codes page's example 2) comes back as one on ``token``."""
    try:
        err = resp.json().get("error", {})
    except ValueError:
        return "", []
    if not isinstance(err, dict):
        return "", []
    message = str(err.get("message", ""))
    code, violations = "", []
    for d in err.get("details", []) or []:
        if not isinstance(d, dict):
            continue
        if d.get("errorCode") and not code:
            code = str(d["errorCode"])
        if str(d.get("@type", "")).endswith("google.rpc.BadRequest"):
            violations += [v for v in d.get("fieldViolations", []) or [] if isinstance(v, dict)]
    if not violations and "registration token" in message.lower():
        violations = [{"field": "message.token", "description": message}]
    return code or str(err.get("status", "")), violations


def _classify(status: int, err: str, violations: list[dict]) -> str:
    """The outcome of a final (not retried) error answer; "" means retry with backoff."""
    if err == "UNREGISTERED" or (status == 404 and err in ("", "NOT_FOUND")):
        return "unregistered"
    if err in ("SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR") or status in (401, 403):
        return "config"
    if status == 400 or err == "INVALID_ARGUMENT":
        # Only a fault named on the token condemns it; anything else (a field of the message,
        # or a 400 that names nothing, e.g. a payload over 4 KB) would hit every recipient alike.
        fields = {str(v.get("field", "")) for v in violations}
        return "invalid" if fields and fields <= TOKEN_FIELDS else "payload"
    if status in (500, 502, 503, 504) or err in ("UNAVAILABLE", "INTERNAL"):
        return ""
    return "retry" if status >= 500 or status == 0 else "payload"
