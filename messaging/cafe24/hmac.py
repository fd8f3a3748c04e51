"""App-launch verification: Cafe24 opens the app with a signed query string.

The signature covers the RAW query string up to the last ``&`` (``&hmac=...`` is last), signed
with the app's client secret (HMAC-SHA256, base64). Re-encoding the parameters would change the
bytes and break valid launches, so we never parse-and-rebuild.
"""
from __future__ import annotations

import base64
import hashlib
import hmac as _hmac
import time
from urllib.parse import parse_qs, unquote

MAX_SKEW_SECONDS = 3600


def sign(plain_query: str, secret: str) -> str:
    digest = _hmac.new(secret.encode(), plain_query.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_launch(raw_query: str, secret: str, *, now: float | None = None) -> dict | None:
    """The launch parameters when the signature and timestamp hold, else None."""
    if not raw_query or not secret or "&hmac=" not in "&" + raw_query:
        return None
    cut = raw_query.rfind("&")
    plain, last = raw_query[:cut], raw_query[cut + 1:]
    if not last.startswith("hmac="):
        return None
    given = unquote(last[len("hmac="):])
    if not _hmac.compare_digest(sign(plain, secret).encode(), given.encode()):
        return None
    params = {k: v[0] for k, v in parse_qs(plain, keep_blank_values=True).items()}
    try:
        ts = float(params.get("timestamp", ""))
    except ValueError:
        return None
    if abs((now if now is not None else time.time()) - ts) > MAX_SKEW_SECONDS:
        return None
    return params
