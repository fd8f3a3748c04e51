"""Fake Cafe24 Admin API for one or more malls, at ``{url}/{mall_id}/api/v2/...``.

Shapes from the Cafe24 docs: OAuth token endpoint with Basic auth (refresh rotates BOTH
tokens), scripttags, customersprivacy, sms senders and POST /sms (<= 100 member ids),
``X-Api-Call-Limit`` on every answer, 429 with ``X-Cafe24-Call-Remain``, errors as
``{"error": {"code", "message"}}``.
"""
from __future__ import annotations

import base64
import itertools
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .server import FakeServer

KST = ZoneInfo("Asia/Seoul")


class FakeCafe24(FakeServer):
    def __init__(self, *, client_id: str = "cid", client_secret: str = "csecret", customers=None,
                 senders=None, throttle_first: int = 0, refresh_delay: float = 0.0):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.lock = threading.Lock()
        self.seq = itertools.count(1)
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.codes: set[str] = {"good-code"}
        self.refresh_calls = 0
        self.refresh_delay = refresh_delay
        self.customers = {c["member_id"]: c for c in (customers or [])}
        self.senders = senders if senders is not None else [{"sender_no": 2, "sender": "02-000-0000", "auth_status": "T"}]
        self.scripttags: dict[str, dict] = {}
        self.sms_calls: list[dict] = []
        self.throttle_left = throttle_first
        self.calls: list[tuple[str, str]] = []
        self.revoked = False

    def expire_all_access(self):
        with self.lock:
            self.access.clear()

    def _tokens(self, mall_id: str) -> dict:
        n = next(self.seq)
        a, r = f"at-{n}", f"rt-{n}"
        self.access.add(a)
        self.refresh.add(r)
        now = datetime.now(KST).replace(tzinfo=None)
        return {"access_token": a, "expires_at": (now + timedelta(hours=2)).isoformat(timespec="milliseconds"),
                "refresh_token": r, "refresh_token_expires_at": (now + timedelta(days=14)).isoformat(timespec="milliseconds"),
                "client_id": self.client_id, "mall_id": mall_id, "user_id": "admin",
                "scopes": ["mall.read_application", "mall.write_application", "mall.read_privacy",
                           "mall.write_notification"], "issued_at": now.isoformat(timespec="milliseconds"),
                "shop_no": "1", "token_type": "bearer"}

    def handle(self, req):
        parts = req.path.strip("/").split("/", 1)
        mall_id, path = parts[0], "/" + (parts[1] if len(parts) > 1 else "")
        self.calls.append((req.method, path))
        if path == "/api/v2/oauth/token":
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if req.headers.get("Authorization") != expected:
                return 401, {}, {"error": "invalid_client", "error_description": "bad client credentials"}
            form = req.form()
            if form.get("grant_type") == "authorization_code":
                with self.lock:
                    if form.get("code") not in self.codes:
                        return 400, {}, {"error": "invalid_grant"}
                    self.codes.discard(form["code"])
                    return 200, {}, self._tokens(mall_id)
            if form.get("grant_type") == "refresh_token":
                if self.refresh_delay:
                    time.sleep(self.refresh_delay)  # widens the race window for the concurrency test
                with self.lock:
                    self.refresh_calls += 1
                    if self.revoked or form.get("refresh_token") not in self.refresh:
                        return 400, {}, {"error": "invalid_grant", "error_description": "refresh token is invalid"}
                    self.refresh.discard(form["refresh_token"])  # rotation: the old one is spent
                    return 200, {}, self._tokens(mall_id)
            return 400, {}, {"error": "unsupported_grant_type"}
        if not path.startswith("/api/v2/admin/"):
            return 404, {}, {"error": {"code": 404, "message": "not found"}}
        token = (req.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in self.access:
            return 401, {}, {"error": {"code": 401, "message": "Invalid access_token"}}
        if req.headers.get("X-Cafe24-Api-Version") is None:
            return 400, {}, {"error": {"code": 400, "message": "version header required"}}
        with self.lock:
            if self.throttle_left > 0:
                self.throttle_left -= 1
                return 429, {"X-Api-Call-Limit": "40/40", "X-Cafe24-Call-Remain": "0.05"}, \
                    {"error": {"code": 429, "message": "Too Many Requests"}}
        headers = {"X-Api-Call-Limit": "1/40", "X-Cafe24-Call-Usage": "2"}
        if path == "/api/v2/admin/scripttags":
            if req.method == "GET":
                return 200, headers, {"scripttags": list(self.scripttags.values())}
            body = req.json()["request"]
            no = str(next(self.seq))
            self.scripttags[no] = {"script_no": no, **body}
            return 201, headers, {"scripttag": self.scripttags[no]}
        if path.startswith("/api/v2/admin/scripttags/") and req.method == "DELETE":
            no = path.rsplit("/", 1)[1]
            self.scripttags.pop(no, None)
            return 200, headers, {"scripttag": {"script_no": no}}
        if path == "/api/v2/admin/customersprivacy":
            ids = [m for m in req.query.get("member_id", "").split(",") if m]
            return 200, headers, {"customersprivacy": [self.customers[m] for m in ids if m in self.customers]}
        if path == "/api/v2/admin/sms/senders":
            return 200, headers, {"senders": self.senders}
        if path == "/api/v2/admin/sms" and req.method == "POST":
            body = req.json()["request"]
            if len(body.get("member_id", [])) > 100 or body.get("exclude_unsubscriber") != "T":
                return 422, headers, {"error": {"code": 422, "message": "invalid request"}}
            headers["X-Api-Call-Limit"] = "1/1"
            self.sms_calls.append(body)
            return 201, headers, {"sms": {"queue_code": f"Q{len(self.sms_calls)}"}}
        return 404, headers, {"error": {"code": 404, "message": "not found"}}
