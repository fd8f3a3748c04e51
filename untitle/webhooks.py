"""How UNTITLE signs the webhooks it sends (segment refreshes, alerts): one scheme for all.

Headers: ``X-Untitle-Timestamp: <unix seconds>`` and
``X-Untitle-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``. Signing the
timestamp with the body lets a receiver refuse replays (reject timestamps older than a few
minutes). Pure: no Django.
"""
from __future__ import annotations

import hashlib
import hmac
import time


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    ts = str(int(time.time() if now is None else now))
    return {"Content-Type": "application/json", "X-Untitle-Timestamp": ts,
            "X-Untitle-Signature": signature(secret, ts, body)}


def verify(secret: str, headers, body: bytes, *, max_age: float = 300, now: float | None = None) -> bool:
    """What a receiver does; our tests use it to check what we sent."""
    ts = headers.get("X-Untitle-Timestamp", "")
    if not ts.isdigit() or abs((time.time() if now is None else now) - int(ts)) > max_age:
        return False
    return hmac.compare_digest(signature(secret, ts, body), headers.get("X-Untitle-Signature", ""))
