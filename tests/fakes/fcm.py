"""Fake FCM HTTP v1 + Google OAuth token endpoint.

Follows the documented shapes: POST /token (jwt-bearer grant) -> {access_token, expires_in};
POST /v1/projects/{p}/messages:send {"message": {"token", ...}} -> {"name": ...}, errors as
{"error": {"code", "status", "details": [{"errorCode"}]}}. Knobs: tokens that are
UNREGISTERED, a number of 429s / 503s to answer first, a per-request delay.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter

from .server import FakeServer


class FakeFCM(FakeServer):
    def __init__(self, *, project: str = "untitle-test", unregistered=(), throttle_first: int = 0,
                 unavailable_first: int = 0, delay: float = 0.0):
        super().__init__()
        self.project = project
        self.unregistered = set(unregistered)
        self.throttle_left = throttle_first
        self.unavailable_left = unavailable_first
        self.delay = delay
        self.lock = threading.Lock()
        self.received: Counter = Counter()   # token -> accepted sends
        self.attempts = 0
        self.token_calls = 0
        self.messages: list[dict] = []
        self.keep_messages = True
        self.drop_tokens: set[str] = set()  # accepted, then the connection breaks before the answer

    def handle(self, req):
        if req.path == "/reset":
            with self.lock:
                self.received.clear()
                self.attempts = 0
            return 200, {}, {}
        if req.path == "/stats":  # for a benchmark running the fake in another process
            with self.lock:
                return 200, {}, {"attempts": self.attempts, "unique": len(self.received),
                                 "total": sum(self.received.values()),
                                 "max_per_token": max(self.received.values(), default=0)}
        if req.path == "/token":
            form = req.form()
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or form.get("assertion", "").count(".") != 2:
                return 400, {}, {"error": "invalid_grant"}
            claims = json.loads(base64.urlsafe_b64decode(form["assertion"].split(".")[1] + "=="))
            if claims.get("scope") != "https://www.googleapis.com/auth/firebase.messaging":
                return 400, {}, {"error": "invalid_scope"}
            with self.lock:
                self.token_calls += 1
            return 200, {}, {"access_token": "fake-fcm-token", "expires_in": 3599, "token_type": "Bearer"}
        if req.method == "POST" and req.path == f"/v1/projects/{self.project}/messages:send":
            if req.headers.get("Authorization") != "Bearer fake-fcm-token":
                return 401, {}, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
            if self.delay:
                time.sleep(self.delay)
            msg = req.json().get("message", {})
            token = msg.get("token", "")
            with self.lock:
                self.attempts += 1
                if self.throttle_left > 0:
                    self.throttle_left -= 1
                    return 429, {"Retry-After": "0"}, _err(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED")
                if self.unavailable_left > 0:
                    self.unavailable_left -= 1
                    return 503, {}, _err(503, "UNAVAILABLE", "UNAVAILABLE")
                if token in self.unregistered:
                    return 404, {}, _err(404, "NOT_FOUND", "UNREGISTERED")
                if not token:
                    return 400, {}, _err(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT")
                self.received[token] += 1
                if self.keep_messages:
                    self.messages.append(msg)
                n = sum(self.received.values())
                if token in self.drop_tokens:
                    return None  # the server closes the socket without answering
            return 200, {}, {"name": f"projects/{self.project}/messages/{n}"}
        return 404, {}, {"error": {"code": 404, "status": "NOT_FOUND"}}


def _err(code: int, status: str, error_code: str) -> dict:
    return {"error": {"code": code, "status": status, "message": error_code,
                      "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                   "errorCode": error_code}]}}


def service_account(token_uri: str, project: str = "untitle-test") -> dict:
    """A throwaway service account whose key really signs (the fake checks the JWT's shape)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": project, "private_key_id": "k1", "private_key": pem,
            "client_email": f"push@{project}.iam.gserviceaccount.com", "token_uri": token_uri}
