"""Cafe24 connection writes: the OAuth install (tokens stored encrypted, the SDK script tag, the
SMS sender), the disconnect, the access token every Cafe24 call is made with, and the daily
upkeep (refresh tokens renewed before their 14 days run out, script tags repaired)."""
from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.facade import audit_log
from tenants.models import Client, Membership, Role

from ..audit import AuditAction
from ..cafe24 import oauth
from ..cafe24.client import SENDER_VERIFIED, Cafe24Client, Cafe24Error, Cafe24Revoked, base_url_for
from ..errors import MessagingError, MessagingErrorCode
from ..models import Cafe24Connection

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=10)
# The refresh token lives 14 days and rotates on every refresh; a shop that sends once a month
# would otherwise have to reconnect each time. The daily upkeep renews it once fewer than this
# many days are left, so a week of failed attempts (Cafe24 down, a bad deploy) still ends well.
REFRESH_TOKEN_RENEW_AHEAD = timedelta(days=7)
SDK_PATH = "/sdk/v1/untitle.js"


def cafe24_base_url(mall_id: str) -> str:
    # A template so tests and staging can point the real client at a local fake server.
    return base_url_for(mall_id, settings.CAFE24_API_BASE)


def cafe24_authorize_url(*, client: Client, state: str, redirect_uri: str) -> str:
    if not settings.CAFE24_CLIENT_ID or not settings.CAFE24_CLIENT_SECRET:
        raise MessagingError(_("CAFE24_CLIENT_ID / CAFE24_CLIENT_SECRET 환경 변수가 설정되지 않았습니다."),
                             code=MessagingErrorCode.NOT_CONFIGURED)
    if not client.mall_id:
        raise MessagingError(_("설정 > 고객사 정보에서 Cafe24 몰 ID를 먼저 입력해 주세요."),
                             code=MessagingErrorCode.NO_MALL)
    return oauth.authorize_url(base_url=cafe24_base_url(client.mall_id), client_id=settings.CAFE24_CLIENT_ID,
                               state=state, redirect_uri=redirect_uri)


def sdk_script_src(client: Client) -> str:
    """The storefront script tag's src. No ``integrity``: the SDK URL is mutable (fixes reach
    every shop within the day's cache), and a hash pinned at install makes the browser refuse
    the script at its first change. SRI guards a file served by someone else; here the party
    that writes the tag also serves the file, so a pin adds no protection, only an outage."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{SDK_PATH}?key={client.ingest_key}"


def _is_sdk_tag(tag: dict) -> bool:
    # Ours whatever host it names: PUBLIC_BASE_URL may have moved since the tag was written.
    return urlsplit(str(tag.get("src", ""))).path == SDK_PATH


def scripttag_ensure(*, api: Cafe24Client, client: Client) -> tuple[str, str]:
    """Exactly one SDK script tag with today's src and no pinned hash; ``(script_no, what_was_done)``.

    A tag with an ``integrity`` is deleted and created again rather than PUT: the update page
    (https://developers.cafe24.com/docs/api/admin/#update-a-script-tag) does not say that an
    empty ``integrity`` clears it, and a pinned hash left behind is exactly the outage we fix.
    A tag whose src drifted (host or ingest key changed) is updated in place with PUT.
    """
    src = sdk_script_src(client)
    ours = [t for t in api.scripttags() if _is_sdk_tag(t)]
    keep, done = (ours[0] if ours else None), "ok"
    for extra in ours[1:]:
        api.scripttag_delete(str(extra["script_no"]))
        done = "repaired"
    if keep is not None and keep.get("integrity"):
        api.scripttag_delete(str(keep["script_no"]))
        keep, done = None, "repaired"
    if keep is None:
        keep = api.scripttag_create(src=src)
        done = "created" if done == "ok" else done
    elif keep.get("src") != src:
        keep = api.scripttag_update(str(keep["script_no"]), src=src)
        done = "repaired"
    return str(keep.get("script_no", "")), done


def verified_sender(*, api: Cafe24Client) -> dict | None:
    """The first sender whose number is verified (auth_status "30"); the others cannot send."""
    return next((s for s in api.sms_senders() if str(s.get("auth_status", "")) == SENDER_VERIFIED), None)


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
    # The script tag is what makes the SDK run on every storefront page. A reconnect finds the
    # tag of the last install and repairs it (a stale src or a pinned hash), never reuses it as is.
    try:
        conn.script_no, _done = scripttag_ensure(api=api, client=client)
    except Cafe24Error as exc:
        conn.last_error = f"script tag: {exc}"
    try:
        sender = verified_sender(api=api)
        if sender:
            conn.sender_no, conn.sender_number = int(sender["sender_no"]), str(sender.get("sender", ""))
        else:
            conn.sender_no, conn.sender_number = None, ""
            conn.last_error = (conn.last_error + "; " + _(
                "인증 완료된 SMS 발신 번호가 없습니다. Cafe24 관리자 > SMS 발신번호 관리에서 인증해 주세요.")).strip("; ")
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


def cafe24_access_token(*, client: Client, stale: str | None = None, renew: bool = False) -> str:
    """A valid access token, refreshed ahead of expiry under a row lock (``renew``: refresh now,
    which also rotates the 14-day refresh token).

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
        if fresh and not renew and (stale is None or conn.access_token != stale):
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
    _tell_owners_to_reconnect(client)
    raise raise_after


def _tell_owners_to_reconnect(client: Client) -> None:
    """E-mail the shop's owners that Cafe24 needs reconnecting (the app shows it on every
    settings page too). Mail trouble is logged: it must not hide the revoked state."""
    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("messaging:cafe24_settings", args=[client.slug])
    emails = sorted({m.user.email for m in Membership.objects.select_related("user").filter(
        client=client, role=Role.OWNER) if m.user.email})
    if not emails:
        return
    try:
        send_mail(
            subject=_("[UNTITLE] %(shop)s: Cafe24 재연결이 필요합니다") % {"shop": client.name},
            message=_("Cafe24가 %(shop)s의 연결 갱신을 거절했습니다 (14일 동안 갱신되지 않았거나 앱 권한이 "
                      "취소되었습니다). 다시 연결하기 전까지 문자 발송과 회원 조회가 멈춥니다.\n\n"
                      "다시 연결하기: %(url)s") % {"shop": client.name, "url": url},
            from_email=None, recipient_list=emails)
    except Exception:  # noqa: BLE001 - any mail transport error
        log.exception("could not e-mail the owners of %s about the Cafe24 reconnect", client.slug)


def cafe24_token_upkeep(*, now=None) -> dict:
    """Renew every active connection whose refresh token has fewer than
    REFRESH_TOKEN_RENEW_AHEAD left (daily beat). A refusal marks it "재연결 필요" and tells the
    owners; other errors are retried the next day."""
    now = now or dj_timezone.now()
    out = {"renewed": 0, "revoked": 0, "failed": 0}
    due = Cafe24Connection.objects.filter(status=Cafe24Connection.Status.ACTIVE).select_related("client")
    for conn in due:
        if conn.refresh_expires_at and conn.refresh_expires_at - REFRESH_TOKEN_RENEW_AHEAD > now:
            continue
        try:
            cafe24_access_token(client=conn.client, renew=True)
        except Cafe24Revoked:
            out["revoked"] += 1
        except Cafe24Error as exc:
            log.warning("Cafe24 token renewal failed for %s (retried tomorrow): %s", conn.mall_id, exc)
            out["failed"] += 1
        else:
            out["renewed"] += 1
    return out


def cafe24_scripttags_sync() -> dict:
    """Make every active shop's SDK script tag match what this deployment serves (daily beat and
    the ``cafe24_sync_scripttags`` command run on deploy)."""
    out = {"ok": 0, "created": 0, "repaired": 0, "failed": 0}
    for conn in Cafe24Connection.objects.filter(status=Cafe24Connection.Status.ACTIVE).select_related("client"):
        api = cafe24_api(client=conn.client)
        try:
            script_no, done = scripttag_ensure(api=api, client=conn.client)
        except Cafe24Error as exc:
            log.warning("script tag check failed for %s: %s", conn.mall_id, exc)
            out["failed"] += 1
            continue
        finally:
            api.http.close()
        out[done] += 1
        if script_no != conn.script_no:
            Cafe24Connection.objects.filter(pk=conn.pk).update(script_no=script_no, updated_at=dj_timezone.now())
    return out


def cafe24_api(*, client: Client) -> Cafe24Client:
    """The Admin API client for this shop; it asks for a fresh token again after a 401."""
    conn = Cafe24Connection.objects.filter(client=client).only("mall_id").first()
    mall_id = conn.mall_id if conn else (client.mall_id or "")
    last: dict = {}

    def provider(force: bool) -> str:
        last["token"] = cafe24_access_token(client=client, stale=last.get("token") if force else None)
        return last["token"]

    return Cafe24Client(mall_id, token_provider=provider, base_url=cafe24_base_url(mall_id))
