"""Cafe24 connection writes: the OAuth install (tokens stored encrypted, the SDK script tag, the
SMS sender), the disconnect, and the access token every Cafe24 call is made with."""
from __future__ import annotations

import base64
import hashlib
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.facade import audit_log
from tenants.models import Client

from ..audit import AuditAction
from ..cafe24 import oauth
from ..cafe24.client import Cafe24Client, Cafe24Error, Cafe24Revoked, base_url_for
from ..errors import MessagingError, MessagingErrorCode
from ..models import Cafe24Connection

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=10)


def cafe24_base_url(mall_id: str) -> str:
    # A template so tests and staging can point the real client at a local fake server.
    return base_url_for(mall_id, settings.CAFE24_API_BASE)


def cafe24_authorize_url(*, client: Client, state: str, redirect_uri: str) -> str:
    if not settings.CAFE24_CLIENT_ID or not settings.CAFE24_CLIENT_SECRET:
        raise MessagingError(_("CAFE24_CLIENT_ID / CAFE24_CLIENT_SECRET 환경 변수가 설정되지 않았습니다."),
                             code=MessagingErrorCode.NOT_CONFIGURED)
    if not client.mall_id:
        raise MessagingError(_("고객사 정보에 Cafe24 몰 ID를 먼저 입력해 주세요."), code=MessagingErrorCode.NO_MALL)
    return oauth.authorize_url(base_url=cafe24_base_url(client.mall_id), client_id=settings.CAFE24_CLIENT_ID,
                               state=state, redirect_uri=redirect_uri)


def sdk_script_src(client: Client) -> tuple[str, str]:
    """The storefront script tag's src and its SRI hash (sha384 of the file we serve)."""
    path = Path(settings.BASE_DIR) / "events" / "sdk" / "untitle.js"
    digest = base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/sdk/v1/untitle.js?key={client.ingest_key}", f"sha384-{digest}"


def cafe24_connect(*, client: Client, code: str, redirect_uri: str, actor=None) -> Cafe24Connection:
    """Finish the install: code -> tokens (stored encrypted), SDK script tag, SMS sender."""
    if not code:
        raise MessagingError(_("Cafe24가 인증 코드를 보내지 않았습니다. 다시 연결해 주세요."),
                             code=MessagingErrorCode.NO_CODE)
    tokens = oauth.exchange(base_url=cafe24_base_url(client.mall_id), client_id=settings.CAFE24_CLIENT_ID,
                            client_secret=settings.CAFE24_CLIENT_SECRET,
                            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    with transaction.atomic():
        conn, _created = Cafe24Connection.objects.select_for_update().get_or_create(
            client=client, defaults={"mall_id": client.mall_id})
        conn.mall_id = client.mall_id
        conn.status = Cafe24Connection.Status.ACTIVE
        conn.access_token, conn.refresh_token = tokens.access_token, tokens.refresh_token
        conn.expires_at, conn.refresh_expires_at = tokens.expires_at, tokens.refresh_expires_at
        conn.scopes, conn.connected_at, conn.last_error = tokens.scopes, dj_timezone.now(), ""
        conn.save()
        audit_log(action=AuditAction.CAFE24_CONNECT, client=client, actor=actor, target=client.mall_id,
                  details={"scopes": tokens.scopes})
    api = cafe24_api(client=client)
    # The script tag is what makes the SDK run on every storefront page; integrity pins it.
    src, integrity = sdk_script_src(client)
    try:
        existing = [t for t in api.scripttags() if str(t.get("src", "")).split("?")[0] == src.split("?")[0]]
        tag = existing[0] if existing else api.scripttag_create(src=src, integrity=integrity)
        conn.script_no = str(tag.get("script_no", ""))
    except Cafe24Error as exc:
        conn.last_error = f"script tag: {exc}"
    try:
        senders = [s for s in api.sms_senders() if str(s.get("auth_status", "T")) in ("T", "true", "True")]
        if senders:
            conn.sender_no, conn.sender_number = int(senders[0]["sender_no"]), str(senders[0].get("sender", ""))
    except Cafe24Error as exc:
        conn.last_error = (conn.last_error + f"; senders: {exc}").strip("; ")
    conn.save(update_fields=["script_no", "sender_no", "sender_number", "last_error", "updated_at"])
    return conn


def cafe24_disconnect(*, client: Client, actor=None) -> None:
    conn = Cafe24Connection.objects.filter(client=client).first()
    if conn is None:
        return
    if conn.status == Cafe24Connection.Status.ACTIVE and conn.script_no:
        try:
            cafe24_api(client=client).scripttag_delete(conn.script_no)
        except Cafe24Error as exc:  # the shop may have removed the app already
            log.warning("script tag removal failed for %s: %s", conn.mall_id, exc)
    with transaction.atomic():
        Cafe24Connection.objects.filter(pk=conn.pk).update(
            status=Cafe24Connection.Status.INACTIVE, access_token="", refresh_token="", script_no="",
            updated_at=dj_timezone.now())
        audit_log(action=AuditAction.CAFE24_DISCONNECT, client=client, actor=actor, target=conn.mall_id)


def cafe24_access_token(*, client: Client, stale: str | None = None) -> str:
    """A valid access token, refreshed ahead of expiry under a row lock.

    The lock serialises concurrent refreshes: the second caller finds the token already
    renewed (or different from the ``stale`` one that got a 401) and uses it. Access and the
    rotated refresh token are saved in one UPDATE, so the new refresh token is never lost.
    """
    with transaction.atomic():
        conn = Cafe24Connection.objects.select_for_update().filter(client=client).first()
        if conn is None or conn.status == Cafe24Connection.Status.INACTIVE:
            raise Cafe24Revoked(_("Cafe24가 연결되어 있지 않습니다. 설정 > Cafe24 연결에서 연결해 주세요."))
        if conn.status == Cafe24Connection.Status.REVOKED:
            raise Cafe24Revoked(_("Cafe24 인증이 만료되었거나 취소되었습니다. 설정에서 Cafe24를 다시 연결해 주세요."))
        now = dj_timezone.now()
        fresh = conn.expires_at and conn.expires_at - REFRESH_AHEAD > now
        if fresh and (stale is None or conn.access_token != stale):
            return conn.access_token
        try:
            tokens = oauth.exchange(base_url=cafe24_base_url(conn.mall_id), client_id=settings.CAFE24_CLIENT_ID,
                                    client_secret=settings.CAFE24_CLIENT_SECRET,
                                    data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token})
        except Cafe24Revoked as exc:
            conn.status, conn.last_error = Cafe24Connection.Status.REVOKED, str(exc)
            conn.save(update_fields=["status", "last_error", "updated_at"])
            # Raised after the block commits: the revoked state must stick.
            raise_after = exc
        else:
            conn.access_token, conn.refresh_token = tokens.access_token, tokens.refresh_token
            conn.expires_at, conn.refresh_expires_at = tokens.expires_at, tokens.refresh_expires_at
            conn.save(update_fields=["access_token", "refresh_token", "expires_at", "refresh_expires_at", "updated_at"])
            return conn.access_token
    raise raise_after


def cafe24_api(*, client: Client) -> Cafe24Client:
    """The Admin API client for this shop; it asks for a fresh token again after a 401."""
    conn = Cafe24Connection.objects.filter(client=client).only("mall_id").first()
    mall_id = conn.mall_id if conn else (client.mall_id or "")
    last: dict = {}

    def provider(force: bool) -> str:
        last["token"] = cafe24_access_token(client=client, stale=last.get("token") if force else None)
        return last["token"]

    return Cafe24Client(mall_id, token_provider=provider, base_url=cafe24_base_url(mall_id))
