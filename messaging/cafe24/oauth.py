"""OAuth 2.0 against a mall: the authorize URL and the token endpoint (Basic auth)."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from .client import Cafe24Error, Cafe24Revoked

KST = ZoneInfo("Asia/Seoul")
SCOPES = ["mall.read_application", "mall.write_application", "mall.read_customer", "mall.read_privacy",
          "mall.write_notification", "mall.read_notification", "mall.read_order"]


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    scopes: list[str]


def authorize_url(*, base_url: str, client_id: str, state: str, redirect_uri: str, scopes=SCOPES) -> str:
    q = urlencode({"response_type": "code", "client_id": client_id, "state": state,
                   "redirect_uri": redirect_uri, "scope": ",".join(scopes)})
    return f"{base_url}/api/v2/oauth/authorize?{q}"


def _kst(value: str | None) -> datetime | None:
    # Cafe24 writes local Korean time without a zone ("2021-03-01T14:00:00.000").
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=KST)


def exchange(*, base_url: str, client_id: str, client_secret: str, data: dict,
             http: httpx.Client | None = None) -> TokenSet:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    http = http or httpx.Client(timeout=15.0)
    try:
        resp = http.post(f"{base_url}/api/v2/oauth/token", data=data,
                         headers={"Authorization": f"Basic {basic}"})
    except httpx.TransportError as exc:
        raise Cafe24Error(f"Cafe24에 연결하지 못했습니다: {exc}") from exc
    if resp.status_code in (400, 401):
        # invalid_grant: the code or refresh token is spent, expired or revoked.
        raise Cafe24Revoked("Cafe24 인증이 만료되었거나 취소되었습니다. 설정에서 Cafe24를 다시 연결해 주세요.",
                            status=resp.status_code, body=resp.text[:300])
    if resp.status_code >= 300:
        raise Cafe24Error(f"Cafe24 token {resp.status_code}", status=resp.status_code, body=resp.text[:300])
    body = resp.json()
    return TokenSet(access_token=body["access_token"], refresh_token=body["refresh_token"],
                    expires_at=_kst(body["expires_at"]), refresh_expires_at=_kst(body.get("refresh_token_expires_at")),
                    scopes=list(body.get("scopes") or []))
