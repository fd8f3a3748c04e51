"""FCM HTTP v1 client: our own service-account JWT -> OAuth token exchange, then sends.

HTTP v1 has no multicast endpoint: one POST per token. ``send_batch`` takes at most 500
messages (the firebase-admin multicast size) and sends them over pooled keep-alive connections
from a few threads. Each result says what to do with the token: ``ok``, ``unregistered``
(delete it), ``invalid`` (delete it), ``config`` (stop: our credentials are wrong) or
``retry`` (429/5xx still failing after exponential backoff) or ``unknown`` (the connection
broke after the request left: it may have been delivered, so it is not retried).
"""
from __future__ import annotations

import base64
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import logging

# httpx logs every request at INFO: one line per push message drowns the worker's log.
logging.getLogger("httpx").setLevel(logging.WARNING)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_BASE = "https://fcm.googleapis.com"
MAX_BATCH = 500
MAX_PAYLOAD = 4096


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
    outcome: str      # ok | unregistered | invalid | config | retry
    status: int
    message_id: str = ""
    error: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def service_account_jwt(sa: dict, *, now: float | None = None) -> str:
    now = int(now or time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if sa.get("private_key_id"):
        header["kid"] = sa["private_key_id"]
    claims = {"iss": sa["client_email"], "scope": SCOPE, "aud": sa.get("token_uri", "https://oauth2.googleapis.com/token"),
              "iat": now, "exp": now + 3600}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None)
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(sig)}"


class FCMClient:
    def __init__(self, service_account: dict, *, base_url: str = DEFAULT_BASE, http: httpx.Client | None = None,
                 threads: int = 16, max_retries: int = 4, sleep: Callable[[float], None] = time.sleep):
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
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        # One pool for the client's life: starting 32 threads per batch cost ~0.1 s a batch.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fcm")

    def access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            if self._token and not force and self._token[1] - 300 > time.time():
                return self._token[0]
            resp = self.http.post(self.sa.get("token_uri", "https://oauth2.googleapis.com/token"), data={
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
        url = f"{self.base_url}/v1/projects/{self.sa['project_id']}/messages:send"
        body = self.payload(msg)
        refreshed = False
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.http.post(url, json=body, headers={"Authorization": f"Bearer {self.access_token()}"})
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                status, err, retry_after = 0, str(exc), None  # never left us: safe to retry
            except httpx.TransportError as exc:
                # The request may have reached FCM (reset or timeout while reading the answer):
                # retrying could deliver it twice, so report it and let a human decide.
                return PushResult(msg.key, "unknown", 0, error=f"{type(exc).__name__}: {exc}"[:200])
            else:
                status = resp.status_code
                if status == 200:
                    return PushResult(msg.key, "ok", 200, message_id=resp.json().get("name", ""))
                err = _error_code(resp)
                retry_after = resp.headers.get("Retry-After")
                if status == 401 and not refreshed:
                    refreshed = True
                    self.access_token(force=True)
                    continue
                if err == "UNREGISTERED" or status == 404:
                    return PushResult(msg.key, "unregistered", status, error=err)
                if err == "INVALID_ARGUMENT" or status == 400:
                    return PushResult(msg.key, "invalid", status, error=err)
                if err in ("SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR") or status in (401, 403):
                    return PushResult(msg.key, "config", status, error=err)
            if attempt >= self.max_retries:
                return PushResult(msg.key, "retry", status, error=err)
            try:
                delay = float(retry_after) if retry_after else 0.5 * 2 ** attempt
            except ValueError:
                delay = 0.5 * 2 ** attempt
            # Jitter: 500 threads backing off in lockstep would hit the quota again together.
            self.sleep(min(60.0, delay) * (0.5 + random.random()))
        return PushResult(msg.key, "retry", 0)

    def send_batch(self, messages: list[PushMessage]) -> list[PushResult]:
        if len(messages) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages a batch")
        if not messages:
            return []
        self.access_token()  # one exchange up front, not one per thread
        return list(self._pool.map(self.send_one, messages))

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self.http.close()


def _error_code(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error", {})
    except ValueError:
        return ""
    for d in err.get("details", []) or []:
        if d.get("errorCode"):
            return d["errorCode"]
    return err.get("status", "")
