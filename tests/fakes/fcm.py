"""Fake FCM HTTP v1 + Google's OAuth token endpoint, serving the documented shapes.

Every answer names the page it follows. Knobs: tokens that are UNREGISTERED, invalid, of
another sender; a THIRD_PARTY_AUTH_ERROR project; the minute-long QUOTA_EXCEEDED 429 (no
Retry-After); 503s; a per-request delay; requests held unanswered (a worker killed while it
waits); connections dropped after the message was accepted.
"""
from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import FakeServer

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
MAX_PAYLOAD = 4096


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class FakeFCM(FakeServer):
    def __init__(self, *, project: str = "untitle-test", unregistered=(), throttle_first: int = 0,
                 unavailable_first: int = 0, delay: float = 0.0, clock=time.time):
        super().__init__()
        self.project = project
        self.clock = clock
        self.unregistered = set(unregistered)
        self.invalid_tokens: set[str] = set()
        self.other_sender_tokens: set[str] = set()
        self.third_party_auth_error = False
        self.throttle_left = throttle_first
        self.quota_until = 0.0               # QUOTA_EXCEEDED for every send until this clock time
        self.unavailable_left = unavailable_first
        self.delay = delay
        self.lock = threading.Lock()
        self.received: Counter = Counter()   # token -> accepted sends
        self.attempts = 0
        self.token_calls = 0
        self.token_refusals: list[str] = []
        self.messages: list[dict] = []
        self.keep_messages = True
        self.drop_tokens: set[str] = set()  # accepted, then the connection breaks before the answer
        self.hold_tokens: set[str] = set()  # never answered (and never accepted) until released
        self.released = threading.Event()
        self.answered: Counter = Counter()  # token -> 200 answers written

    def exhaust_quota(self, seconds: float = 60.0) -> None:
        """The project's per-minute bucket is empty: 429 until it refills."""
        self.quota_until = self.clock() + seconds

    # -- Google OAuth 2.0 for service accounts -------------------------------------------------
    # https://developers.google.com/identity/protocols/oauth2/service-account#httprest
    def _token(self, req):
        form = req.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {}, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}
        problem = self._check_jwt(form.get("assertion", ""), f"{self.url}/token")
        if problem:
            with self.lock:
                self.token_refusals.append(problem)
            return 400, {}, {"error": "invalid_grant", "error_description": problem}
        with self.lock:
            self.token_calls += 1
        return 200, {}, {"access_token": "fake-fcm-token", "expires_in": 3599, "token_type": "Bearer"}

    def _check_jwt(self, assertion: str, audience: str) -> str:
        """Google checks the RS256 signature against the service account's public key, the
        audience (the token URI) and a lifetime of at most one hour around now."""
        try:
            head_b, claims_b, sig_b = assertion.split(".")
            head, claims = json.loads(_unb64(head_b)), json.loads(_unb64(claims_b))
        except (ValueError, TypeError):
            return "Invalid JWT: malformed"
        key = trusted_public_keys().get(str(head.get("kid", "")))
        if head.get("alg") != "RS256" or key is None:
            return "Invalid JWT Signature."
        try:
            key.verify(_unb64(sig_b), f"{head_b}.{claims_b}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "Invalid JWT Signature."
        if claims.get("aud") != audience:
            return "Invalid JWT: Failed audience check."
        now, iat, exp = time.time(), claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > 3600 or exp <= now or iat > now + 300:
            return ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    "Check your iat and exp values in the JWT claim.")
        if claims.get("scope") != SCOPE:
            return "Invalid OAuth scope or ID token audience provided."
        return ""

    # -- projects.messages.send ----------------------------------------------------------------
    # https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
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
            return self._token(req)
        if req.method == "POST" and req.path == f"/v1/projects/{self.project}/messages:send":
            return self._send(req)
        return 404, {}, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}

    def _send(self, req):
        if req.headers.get("Authorization") != "Bearer fake-fcm-token":
            # https://cloud.google.com/apis/design/errors#handling_errors (an invalid OAuth token)
            return 401, {}, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                       "message": "Request had invalid authentication credentials."}}
        if self.delay:
            time.sleep(self.delay)
        msg = req.json().get("message", {})
        token = msg.get("token", "")
        if token in self.hold_tokens:
            self.released.wait(120)
            return None
        with self.lock:
            self.attempts += 1
            if self.throttle_left > 0 or self.clock() < self.quota_until:
                self.throttle_left = max(0, self.throttle_left - 1)
                # throttling-and-quotas: "429 RESOURCE_EXHAUSTED ("QUOTA_EXCEEDED") until the
                # quota is refilled in the following minute"; no Retry-After is promised.
                return 429, {}, fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
                                          "Quota exceeded for quota metric 'Send requests'.")
            if self.unavailable_left > 0:
                self.unavailable_left -= 1
                return 503, {}, fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.")
            if self.third_party_auth_error:
                # ErrorCode: THIRD_PARTY_AUTH_ERROR (401): the APNs certificate or web push auth key is invalid.
                return 401, {}, fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", "Auth error from APNS or Web Push Service")
            problem = payload_violations(msg)
            if problem is not None:
                return 400, {}, problem
            if token in self.unregistered:
                # ErrorCode: UNREGISTERED (404) — the token is no longer valid.
                return 404, {}, fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
            if token in self.invalid_tokens:
                # error-codes page, example 2: "an invalid registration token"
                return 400, {}, fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                                          "The registration token is not a valid FCM registration token")
            if token in self.other_sender_tokens:
                # ErrorCode: SENDER_ID_MISMATCH (403) — the token belongs to another sender.
                return 403, {}, fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch")
            self.received[token] += 1
            if self.keep_messages:
                self.messages.append(msg)
            n = sum(self.received.values())
            if token in self.drop_tokens:
                return None  # the server closes the socket without answering
            self.answered[token] += 1
        # projects.messages.send: the response body is the Message, with its name
        # "projects/*/messages/{message_id}".
        return 200, {}, {"name": f"projects/{self.project}/messages/0:{n}%{self.project}"}


def fcm_error(code: int, status: str, error_code: str, message: str, violations=None) -> dict:
    """The error body of https://firebase.google.com/docs/cloud-messaging/error-codes: google.rpc
    Status with an FcmError detail and, for a bad field, a google.rpc.BadRequest."""
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
    if violations:
        details.insert(0, {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations})
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


def payload_violations(msg: dict) -> dict | None:
    """The message faults FCM reports on a field (not on the token), or None."""
    if not msg.get("token") and not msg.get("topic") and not msg.get("condition"):
        # Observed answer for a message without a recipient (bloomberg/pushiko docs/fcm_responses.md).
        return fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Recipient of the message is not set.",
                         [{"field": "message", "description": "Recipient of the message is not set."}])
    if len(json.dumps({"message": msg}, ensure_ascii=False).encode()) > MAX_PAYLOAD:
        # ErrorCode: INVALID_ARGUMENT "message too big"; observed with no details at all.
        return {"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}
    for i, (k, v) in enumerate((msg.get("data") or {}).items()):
        if not isinstance(v, str):
            # error-codes page, example 1, verbatim.
            return fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", f"Invalid value at 'message.data[{i}].value' (TYPE_STRING), {v}",
                             [{"field": f"message.data[{i}].value",
                               "description": f"Invalid value at 'message.data[{i}].value' (TYPE_STRING), {v}"}])
    link = ((msg.get("webpush") or {}).get("fcm_options") or {}).get("link")
    if link is not None and not str(link).startswith("https://"):
        # WebpushFcmOptions.link: "For all URL values, HTTPS is required."
        # https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages#webpushfcmoptions
        return fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Request contains an invalid argument.",
                         [{"field": "message.webpush.fcm_options.link", "description": "Link must use HTTPS"}])
    return None


# -- service accounts -------------------------------------------------------------------------
# One throwaway key per machine, kept in the temp dir so a fake running in another process (the
# benchmark's) trusts the service account the parent process hands to our client. Generated on
# first use, never committed.
_KEY_PATH = Path(tempfile.gettempdir()) / "untitle-fake-fcm-key.pem"
_extra_keys: dict = {}


def _shared_key():
    if not _KEY_PATH.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = _KEY_PATH.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        try:
            os.link(tmp, _KEY_PATH)  # first writer wins; a concurrent one reads the winner's key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return _KEY_PATH.read_text()


def trusted_public_keys() -> dict:
    pem = _shared_key()
    keys = {"untitle-fake-1": serialization.load_pem_private_key(pem.encode(), password=None).public_key()}
    keys.update(_extra_keys)
    return keys


def service_account(token_uri: str, project: str = "untitle-test", *, trusted: bool = True) -> dict:
    """A service-account JSON as the Cloud console downloads it. ``trusted=False`` gives one
    whose key Google does not know (a deleted or foreign key): its JWT fails the signature."""
    if trusted:
        pem, kid = _shared_key(), "untitle-fake-1"
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        kid = "untrusted"
    return {"type": "service_account", "project_id": project, "private_key_id": kid, "private_key": pem,
            "client_email": f"push@{project}.iam.gserviceaccount.com", "token_uri": token_uri}
