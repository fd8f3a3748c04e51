"""Writes for messaging: Cafe24 connection, push subscriptions, campaigns and their sends.

Services are keyword-only and transactional; the send loop is idempotent by construction
(Delivery's unique constraint + claiming rows with SKIP LOCKED), so a Celery retry, a second
worker or a resumed worker never sends one recipient the same campaign twice.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid as uuid_mod
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.models import Client
from tenants.services import audit_log
from untitle.beat import cron_task_sync

from . import compliance
from . import templates as msg_templates
from .cafe24 import oauth
from .cafe24.client import Cafe24Client, Cafe24Error, Cafe24Revoked, base_url_for
from .fcm.client import FCMClient, FCMConfigError, PushMessage
from .models import (
    Cafe24Connection,
    Campaign,
    CampaignVariant,
    Delivery,
    MemberContact,
    PushSubscription,
    new_tracking_id,
)

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=10)
CONTACT_TTL = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=10)


class MessagingError(Exception):
    """Bad input or a state that forbids the action; ``message`` is Korean and actionable."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


def _cfg(name: str, default):
    return getattr(settings, name, default)


def cafe24_base_url(mall_id: str) -> str:
    # A template so tests and staging can point the real client at a local fake server.
    return base_url_for(mall_id, _cfg("CAFE24_API_BASE", "https://{mall_id}.cafe24api.com"))


# --- Cafe24 connection ----------------------------------------------------------------------

def cafe24_authorize_url(*, client: Client, state: str, redirect_uri: str) -> str:
    if not settings.CAFE24_CLIENT_ID or not settings.CAFE24_CLIENT_SECRET:
        raise MessagingError(_("CAFE24_CLIENT_ID / CAFE24_CLIENT_SECRET 환경 변수가 설정되지 않았습니다."),
                             code="not_configured")
    if not client.mall_id:
        raise MessagingError(_("고객사 정보에 Cafe24 몰 ID를 먼저 입력해 주세요."), code="no_mall")
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
        raise MessagingError(_("Cafe24가 인증 코드를 보내지 않았습니다. 다시 연결해 주세요."), code="no_code")
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
        audit_log(action="cafe24.connect", client=client, actor=actor, target=client.mall_id,
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
        audit_log(action="cafe24.disconnect", client=client, actor=actor, target=conn.mall_id)


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
    conn = Cafe24Connection.objects.filter(client=client).only("mall_id").first()
    mall_id = conn.mall_id if conn else (client.mall_id or "")
    last: dict = {}

    def provider(force: bool) -> str:
        last["token"] = cafe24_access_token(client=client, stale=last.get("token") if force else None)
        return last["token"]

    return Cafe24Client(mall_id, token_provider=provider, base_url=cafe24_base_url(mall_id))


def cafe24_webhook(*, payload: dict) -> str:
    """Handle one verified webhook; returns what was done (for the response and logs)."""
    event_no = int(payload.get("event_no") or 0)
    res = payload.get("resource") or {}
    mall_id = str(res.get("mall_id") or "")
    client = Client.objects.filter(mall_id=mall_id).first() if mall_id else None
    if client is None:
        return "ignored"
    if event_no == 90077:  # app deleted by the shop
        with transaction.atomic():
            n = Cafe24Connection.objects.filter(client=client).update(
                status=Cafe24Connection.Status.INACTIVE, access_token="", refresh_token="", script_no="",
                updated_at=dj_timezone.now())
            audit_log(action="cafe24.app_deleted", client=client, target=mall_id, details={"event_no": event_no})
        return "deactivated" if n else "ignored"
    if event_no == 90023:  # order placed: a server-side order_complete, for in-app browsers the SDK misses
        return "order" if _record_order(client, res) else "ignored"
    return "ignored"


def _record_order(client: Client, res: dict) -> bool:
    """An order_complete per order line, unless the SDK already recorded this order (it sees
    the order page in most browsers; the webhook covers in-app browsers where it cannot)."""
    from events import clickhouse
    from events.ingest.rows import normalize
    from events.ingest.store import insert_records

    order_id = str(res.get("order_id") or "")
    member_id = str(res.get("member_id") or "") or None
    if not order_id:
        return False
    seen = clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32} AND event_type = 62 "
                            "AND order_id = {o:String}", {"c": client.pk, "o": order_id}).rows
    if seen and seen[0][0]:
        return True
    visitor = _latest_uuid(client, member_id) if member_id else None
    # Guests have no visitor id we can know: a stable one per order keeps the event countable.
    visitor = visitor or str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24:{client.mall_id}:{order_id}"))
    items = res.get("items") or res.get("order_items") or []
    if not items:
        items = [{"product_no": "0", "quantity": 1,
                  "payment_amount": res.get("payment_amount") or res.get("actual_payment_amount") or 0}]
    records = []
    for i, item in enumerate(items):
        qty = int(item.get("quantity") or 1)
        amount = int(float(item.get("payment_amount") or item.get("product_price") or 0) *
                      (1 if item.get("payment_amount") else qty))
        records.append(normalize(client.pk, {
            "event_type": "order_complete", "uuid": visitor, "order_id": order_id, "login_id": member_id,
            "product_id": str(item.get("product_no") or "0"), "product_quantity": qty, "amount": amount,
            # Stable ids: a redelivered webhook is deduplicated by event_id downstream.
            "event_id": str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24-order:{client.pk}:{order_id}:{i}"))},
            history=True))
    insert_records(records)
    return True


def _latest_uuid(client: Client, member_id: str) -> str | None:
    from events import clickhouse

    rows = clickhouse.query(
        "SELECT argMax(uuid, created_at) FROM event WHERE client_id = {c:Int32} AND event_type IN (10, 11) "
        "AND login_id = {m:String}", {"c": client.pk, "m": member_id})
    value = rows.rows[0][0] if rows.rows else None
    return str(value) if value and str(value) != "00000000-0000-0000-0000-000000000000" else None


# --- push subscriptions ----------------------------------------------------------------------

def push_subscribe(*, client: Client, visitor: str, token: str, kind: str = "fcm", ad_consent: bool = False,
                   night_consent: bool = False) -> PushSubscription:
    try:
        visitor_uuid = uuid_mod.UUID(str(visitor))
    except ValueError:
        raise MessagingError(_("방문자 ID(uuid)가 올바르지 않습니다."), field="uuid")
    token = (token or "").strip()
    if not token or len(token) > 4096:
        raise MessagingError(_("푸시 토큰이 비어 있거나 너무 깁니다."), field="token")
    if kind not in PushSubscription.Kind.values:
        raise MessagingError(_("지원하지 않는 구독 종류입니다: %(k)s") % {"k": kind}, field="kind")
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    now = dj_timezone.now()
    with transaction.atomic():
        sub = PushSubscription.objects.select_for_update().filter(client=client, token_hash=token_hash).first()
        if sub is None:
            sub = PushSubscription(client=client, token_hash=token_hash, token=token)
        sub.uuid, sub.kind, sub.is_active = visitor_uuid, kind, True
        sub.ad_consent, sub.night_consent = bool(ad_consent), bool(night_consent) and bool(ad_consent)
        sub.consent_at = now if ad_consent else None
        try:
            sub.save()
        except IntegrityError:  # a concurrent subscribe of the same token won: update theirs
            raise MessagingError(_("잠시 후 다시 시도해 주세요."), code="conflict")
    return sub


# --- member contacts (Cafe24 customersprivacy, cached) --------------------------------------

def member_contacts(*, client: Client, member_ids: list[str]) -> dict[str, MemberContact]:
    member_ids = sorted({m for m in member_ids if m})
    now = dj_timezone.now()
    have = {c.member_id: c for c in MemberContact.objects.filter(client=client, member_id__in=member_ids,
                                                                fetched_at__gte=now - CONTACT_TTL)}
    missing = [m for m in member_ids if m not in have]
    if missing:
        rows = cafe24_api(client=client).customers_privacy(missing)
        for row in rows:
            mid = str(row.get("member_id") or "")
            if not mid:
                continue
            contact, _c = MemberContact.objects.update_or_create(
                client=client, member_id=mid,
                defaults={"sms_consent": row.get("sms") == "T", "cellphone": row.get("cellphone") or "",
                          "name": row.get("name") or "", "fetched_at": now})
            have[mid] = contact
    return have


# --- campaigns -------------------------------------------------------------------------------

@dataclass
class VariantInput:
    key: str
    body: str
    title: str = ""


def _variants_clean(variants) -> list[VariantInput]:
    out: list[VariantInput] = []
    for i, v in enumerate(variants or []):
        if isinstance(v, dict):
            v = VariantInput(key=str(v.get("key") or "ABCDEFGH"[i]), body=str(v.get("body") or ""),
                             title=str(v.get("title") or ""))
        if not v.body.strip():
            continue
        try:
            msg_templates.validate(v.body)
            msg_templates.validate(v.title or "-")
        except msg_templates.TemplateError as exc:
            raise MessagingError(_("%(k)s안: %(e)s") % {"k": v.key, "e": exc}, code="template", field="body")
        out.append(v)
    if not out:
        raise MessagingError(_("메시지 내용을 입력해 주세요."), code="template", field="body")
    if len(out) > 4:
        raise MessagingError(_("A/B 안은 4개까지입니다."), field="variants")
    return out


def campaign_check(campaign: Campaign) -> None:
    """Everything that must hold before a single message leaves; raises MessagingError."""
    variants = list(campaign.variants.all())
    _variants_clean([VariantInput(v.key, v.body, v.title) for v in variants])
    if campaign.is_ad:
        for v in variants:
            text = compliance.compose_ad(v.body, channel=campaign.channel, sender_name=campaign.sender_name,
                                         contact=campaign.contact, optout=campaign.optout_text)
            problems = compliance.check_ad(text, channel=campaign.channel, sender_name=campaign.sender_name,
                                           contact=campaign.contact, optout=campaign.optout_text)
            if problems:
                raise MessagingError(problems[0].message, code="compliance", field=problems[0].code)
    if campaign.channel == Campaign.Channel.SMS:
        conn = Cafe24Connection.objects.filter(client=campaign.client).first()
        if conn is None or conn.status != Cafe24Connection.Status.ACTIVE:
            raise MessagingError(_("문자를 보내려면 Cafe24 연결이 필요합니다. 설정 > Cafe24 연결에서 다시 연결해 주세요."),
                                 code="cafe24_revoked")
        if not conn.sender_no:
            raise MessagingError(_("Cafe24에 등록된 발신 번호가 없습니다. Cafe24 관리자 > 고객관리 > SMS 발신번호를 등록한 뒤 다시 연결해 주세요."),
                                 code="no_sender")
        try:
            cafe24_access_token(client=campaign.client)
        except Cafe24Revoked as exc:
            raise MessagingError(str(exc), code="cafe24_revoked")
    if campaign.channel == Campaign.Channel.PUSH and not _fcm_credentials():
        raise MessagingError(_("웹 푸시를 보내려면 FCM_CREDENTIALS(서비스 계정 JSON)를 설정해 주세요."), code="no_fcm")


def campaign_create(*, client: Client, name: str, channel: str, variants, saved_query=None, segment_id=None,
                    link_url: str = "", is_ad: bool = True, sender_name: str = "", contact: str = "",
                    optout_text: str = "", schedule_kind: str = "now", scheduled_at=None, cron: str = "",
                    holdout_pct: int = 10, daily_cap: int = 2, attribution_days: int = 7, actor=None) -> Campaign:
    name = (name or "").strip()[:120]
    if not name:
        raise MessagingError(_("캠페인 이름을 입력해 주세요."), field="name")
    if channel not in Campaign.Channel.values:
        raise MessagingError(_("채널을 선택해 주세요."), field="channel")
    if saved_query is None and segment_id is None:
        raise MessagingError(_("오디언스(세그먼트 또는 저장된 질문)를 선택해 주세요."), field="audience")
    if saved_query is not None and (saved_query.client_id != client.pk or saved_query.ir.get("kind") != "A"):
        raise MessagingError(_("오디언스로 쓸 수 있는 저장된 질문(대상자 찾기)이 아닙니다."), field="audience")
    if segment_id is not None:
        from insights.models import Segment
        if not Segment.objects.filter(client=client, pk=segment_id).exists():
            raise MessagingError(_("세그먼트를 찾을 수 없습니다."), field="audience")
    if not 0 <= int(holdout_pct) <= 50:
        raise MessagingError(_("대조군 비율은 0-50% 사이여야 합니다."), field="holdout_pct")
    if schedule_kind == Campaign.Schedule.AT and not scheduled_at:
        raise MessagingError(_("예약 발송 시각을 입력해 주세요."), field="scheduled_at")
    if schedule_kind == Campaign.Schedule.RECURRING:
        from insights.services import AskError, validate_schedule
        try:
            cron = validate_schedule(cron)
        except AskError as exc:
            raise MessagingError(str(exc), field="cron")
        if not cron:
            raise MessagingError(_("반복 일정(cron)을 입력해 주세요."), field="cron")
    clean = _variants_clean(variants)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            client=client, name=name, channel=channel, saved_query=saved_query, segment_id=segment_id,
            link_url=link_url, is_ad=is_ad, sender_name=sender_name.strip(), contact=contact.strip(),
            optout_text=optout_text.strip(), schedule_kind=schedule_kind, scheduled_at=scheduled_at, cron=cron,
            holdout_pct=int(holdout_pct), daily_cap=int(daily_cap), attribution_days=int(attribution_days),
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        CampaignVariant.objects.bulk_create([CampaignVariant(campaign=campaign, key=v.key, body=v.body, title=v.title)
                                             for v in clean])
        campaign_check(campaign)  # refuse before saving anything that could never be sent
        audit_log(action="campaign.create", client=client, actor=actor, target=name,
                  details={"campaign_id": campaign.pk, "channel": channel})
    return campaign


def _fcm_credentials() -> dict | None:
    raw = settings.FCM_CREDENTIALS
    if not raw:
        return None
    if raw.strip().startswith("{"):
        return json.loads(raw)
    return json.loads(Path(raw).read_text())


def fcm_client() -> FCMClient:
    creds = _fcm_credentials()
    if not creds:
        raise MessagingError(_("웹 푸시를 보내려면 FCM_CREDENTIALS(서비스 계정 JSON)를 설정해 주세요."), code="no_fcm")
    return FCMClient(creds, base_url=_cfg("FCM_BASE_URL", "https://fcm.googleapis.com"),
                     threads=_cfg("FCM_THREADS", 32))


def audience_visitors(*, campaign: Campaign, today=None) -> list[tuple[str, str]]:
    """(uuid, member_id or "") for everyone in the campaign's audience right now."""
    from events import clickhouse
    from insights.query import ir as ir_mod
    from insights.query.compiler import compile_query
    from insights.services import client_today

    client = campaign.client
    if campaign.segment_id is not None:
        from insights.audience import members
        from insights.models import Segment

        # The segment's latest refresh snapshot: the send and its report see the same people.
        segment = Segment.objects.get(client=client, pk=campaign.segment_id)
        return [(str(u), m or "") for u, m in members(client=client, segment=segment)]
    ir_json = campaign.saved_query.ir
    q = ir_mod.Query.model_validate(ir_json)
    compiled = compile_query(q, client_id=client.pk, timezone=client.timezone, today=today or client_today(client),
                             limit=_cfg("CAMPAIGN_MAX_AUDIENCE", 1_000_000))
    rows = clickhouse.query(compiled.sql, compiled.params,
                            settings_={"max_result_rows": _cfg("CAMPAIGN_MAX_AUDIENCE", 1_000_000) + 1})
    uuids = [str(r[0]) for r in rows.rows]
    members: dict[str, str] = {}
    for i in range(0, len(uuids), 10_000):
        chunk = uuids[i:i + 10_000]
        got = clickhouse.query(
            "SELECT uuid, argMax(login_id, created_at) FROM event WHERE client_id = {c:Int32} "
            "AND event_type IN (10, 11) AND uuid IN {u:Array(UUID)} AND login_id IS NOT NULL GROUP BY uuid",
            {"c": client.pk, "u": chunk})
        members.update({str(u): m for u, m in got.rows if m})
    return [(u, members.get(u, "")) for u in uuids]


def _bucket(campaign_id: int, key: str) -> int:
    # Stable 0-9999 per (campaign, visitor): a re-run assigns everyone the same group again.
    return zlib.crc32(f"{campaign_id}:{key}".encode()) % 10_000


def _sent_today(client: Client, channel: str, now: datetime) -> dict[str, int]:
    """Per member/visitor: campaign messages already sent since Korean midnight (frequency cap)."""
    start = datetime.combine(now.astimezone(compliance.KST).date(), datetime.min.time(), tzinfo=compliance.KST)
    from django.db.models import Count
    qs = (Delivery.objects.filter(client=client, status=Delivery.Status.SENT, sent_at__gte=start,
                                  campaign__channel=channel)
          .values("uuid", "member_id").annotate(n=Count("id")))
    out: dict[str, int] = {}
    for row in qs:
        key = row["member_id"] if channel == "sms" else str(row["uuid"])
        out[key] = out.get(key, 0) + row["n"]
    return out


def campaign_prepare(*, campaign: Campaign, recipients: list[tuple[str, str]] | None = None, now=None,
                     run_key: str = "1") -> dict:
    """Turn the audience into Delivery rows (send / held / suppressed / holdout). Idempotent."""
    now = now or dj_timezone.now()
    client = campaign.client
    if recipients is None:
        recipients = audience_visitors(campaign=campaign)
    if not recipients:
        raise MessagingError(_("오디언스가 비어 있습니다. 대상자가 있는 세그먼트나 질문을 골라 주세요."), code="empty_audience")
    variants = [v.key for v in campaign.variants.all()]
    sent_today = _sent_today(client, campaign.channel, now)
    rows: list[Delivery] = []
    if campaign.channel == Campaign.Channel.PUSH:
        subs: dict[str, list[PushSubscription]] = {}
        uuids = [u for u, _m in recipients]
        for i in range(0, len(uuids), 5000):
            for s in PushSubscription.objects.filter(client=client, is_active=True, uuid__in=uuids[i:i + 5000]) \
                    .only("id", "uuid", "ad_consent", "night_consent"):
                subs.setdefault(str(s.uuid), []).append(s)
        contacts = {}
    else:
        subs = {}
        contacts = member_contacts(client=client, member_ids=[m for _u, m in recipients if m])
    for visitor, member in recipients:
        b = _bucket(campaign.pk, visitor)
        variant = "holdout" if b < campaign.holdout_pct * 100 else variants[b % len(variants)]
        base = dict(client=client, campaign=campaign, uuid=visitor, member_id=member or "",
                    recipient_key=f"{run_key}:{visitor}", variant=variant, tracking_id=new_tracking_id())
        if campaign.channel == Campaign.Channel.PUSH:
            visitor_subs = subs.get(visitor) or []
            consent = any(s.ad_consent for s in visitor_subs)
            night = any(s.night_consent for s in visitor_subs)
            sub = next((s for s in visitor_subs if s.ad_consent or not campaign.is_ad), visitor_subs[0] if visitor_subs else None)
            base["push_subscription"] = sub
            cap_key, reachable = visitor, bool(visitor_subs)
        else:
            c = contacts.get(member) if member else None
            consent, night = bool(c and c.sms_consent), bool(c and c.night_consent)
            cap_key, reachable = member, bool(c)
        if variant == "holdout":
            rows.append(Delivery(**base, status=Delivery.Status.HOLDOUT))
            continue
        if not reachable:
            rows.append(Delivery(**base, status=Delivery.Status.SUPPRESSED,
                                 reason="no_subscription" if campaign.channel == "push" else "not_member"))
            continue
        fate, when = compliance.may_receive(is_ad=campaign.is_ad, channel=campaign.channel, consent=consent,
                                            night_consent=night, at=now, sent_today=sent_today.get(cap_key, 0),
                                            daily_cap=campaign.daily_cap)
        if fate == "send":
            rows.append(Delivery(**base, status=Delivery.Status.PENDING, not_before=now))
        elif fate == "hold":
            rows.append(Delivery(**base, status=Delivery.Status.HELD, not_before=when, reason="quiet_hours"))
        else:
            rows.append(Delivery(**base, status=Delivery.Status.SUPPRESSED, reason=fate.split(":", 1)[1]))
    Delivery.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return campaign_progress(campaign=campaign)


def campaign_progress(*, campaign: Campaign) -> dict:
    from django.db.models import Count
    counts = {s: 0 for s in Delivery.Status.values}
    for row in Delivery.objects.filter(campaign=campaign).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    to_send = counts["pending"] + counts["sending"] + counts["sent"] + counts["failed"] + counts["held"]
    done = counts["sent"] + counts["failed"]
    return {"status": campaign.status, "counts": counts, "total": sum(counts.values()),
            "percent": round(100 * done / to_send, 1) if to_send else 100.0}


def campaign_start(*, campaign: Campaign, actor=None, enqueue: bool = True) -> dict:
    """Check, build deliveries and queue the send (the marketer's "보내기")."""
    campaign_check(campaign)
    if campaign.schedule_kind == Campaign.Schedule.RECURRING:
        _sync_periodic(campaign)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
        audit_log(action="campaign.schedule", client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk, "cron": campaign.cron})
        return campaign_progress(campaign=campaign)
    # A scheduled ad is judged at its send time (quiet hours, today's cap), not when it was booked.
    at = campaign.scheduled_at if campaign.schedule_kind == Campaign.Schedule.AT and campaign.scheduled_at else None
    progress = campaign_prepare(campaign=campaign, now=max(at, dj_timezone.now()) if at else None)
    with transaction.atomic():
        status = Campaign.Status.SCHEDULED if campaign.schedule_kind == Campaign.Schedule.AT else Campaign.Status.SENDING
        Campaign.objects.filter(pk=campaign.pk).update(status=status, started_at=dj_timezone.now(), error="")
        audit_log(action="campaign.start", client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk, "recipients": progress["total"]})
    campaign.refresh_from_db()
    if enqueue:
        from .tasks import campaign_send_task
        eta = campaign.scheduled_at if campaign.schedule_kind == Campaign.Schedule.AT else None
        transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=eta))
    return progress


def campaign_run_recurring(*, campaign_id: int) -> dict:
    """One scheduled run of a recurring campaign: a fresh audience, a run key per local day."""
    campaign = Campaign.objects.select_related("client").get(pk=campaign_id)
    if campaign.status == Campaign.Status.CANCELLED:
        return campaign_progress(campaign=campaign)
    now = dj_timezone.now()
    run_key = now.astimezone(campaign.client.tzinfo).strftime("%Y%m%d")
    try:
        campaign_check(campaign)
        campaign_prepare(campaign=campaign, now=now, run_key=run_key)
    except MessagingError as exc:
        # Shown on the campaign page; the next scheduled run tries again.
        Campaign.objects.filter(pk=campaign.pk).update(error=f"{run_key}: {exc.message}"[:500])
        return campaign_progress(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    return campaign_send(campaign_id=campaign.pk)


def _sync_periodic(campaign: Campaign) -> None:
    task = cron_task_sync(
        current=campaign.periodic_task, name=f"campaign-{campaign.pk}", task="messaging.campaign_recurring",
        cron=campaign.cron, timezone=campaign.client.timezone, args=[campaign.pk],
        description=f"{campaign.client.slug}: {campaign.name}")
    Campaign.objects.filter(pk=campaign.pk).update(periodic_task=task)


def _claim(campaign: Campaign, n: int, now) -> list[Delivery]:
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(campaign=campaign, status=Delivery.Status.PENDING, not_before__lte=now)
                    .select_related("push_subscription").order_by("id")[:n])
        if rows:
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return rows


def _variant_texts(campaign: Campaign) -> dict[str, CampaignVariant]:
    return {v.key: v for v in campaign.variants.all()}


def render_message(*, campaign: Campaign, variant: CampaignVariant, delivery: Delivery | None = None,
                   values: dict | None = None) -> tuple[str, str, str]:
    """(title, text, link) for one recipient, with the advertising frame when it is an ad."""
    tid = delivery.tracking_id if delivery else "preview"
    link = msg_templates.add_tracking(campaign.link_url, tid)
    vals = {"shop_name": campaign.client.name, "link": link, "member_id": delivery.member_id if delivery else "",
            **(values or {})}
    body = msg_templates.render(variant.body, vals)
    title = msg_templates.render(variant.title or campaign.title or campaign.client.name, vals)
    if campaign.is_ad:
        body = compliance.compose_ad(body, channel=campaign.channel, sender_name=campaign.sender_name,
                                     contact=campaign.contact, optout=campaign.optout_text)
    return title, body, link


def campaign_send(*, campaign_id: int, wave: int | None = None, max_waves: int | None = None) -> dict:
    """Send every due pending delivery. Safe to run twice at once and to resume after a crash.

    Rows are claimed a wave at a time (SKIP LOCKED, status -> sending) and every claimed row of
    a wave is requested at once, so a killed worker leaves at most one wave in "sending". Those
    rows are never re-sent (the provider may have them): a later run marks them "failed /
    interrupted" for a human to look at, because sending twice is worse than not at all.
    """
    campaign = Campaign.objects.select_related("client").get(pk=campaign_id)
    if campaign.status in (Campaign.Status.CANCELLED,):
        return campaign_progress(campaign=campaign)
    wave = wave or _cfg("CAMPAIGN_SEND_WAVE", 100)
    now = dj_timezone.now()
    # A scheduled run (a booked time, or held rows released at 08:00) is sending from now on.
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(status=Campaign.Status.SENDING)
    Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENDING,
                            claimed_at__lt=now - _cfg("CAMPAIGN_STALE_CLAIM", STALE_CLAIM)).update(
        status=Delivery.Status.FAILED, reason="interrupted")
    variants = _variant_texts(campaign)
    sender = _PushSender(campaign, variants) if campaign.channel == "push" else _SmsSender(campaign, variants)
    waves = 0
    try:
        while max_waves is None or waves < max_waves:
            rows = _claim(campaign, wave, dj_timezone.now())
            if not rows:
                break
            waves += 1
            sender.send(rows)
    except (FCMConfigError, Cafe24Revoked) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED, error=str(exc)[:500])
        raise
    finally:
        sender.close()
    progress = campaign_progress(campaign=campaign)
    c = progress["counts"]
    if not c["pending"] and not c["sending"]:
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=dj_timezone.now())
        if c["held"]:
            _release_held(campaign)
    return campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk))


def _release_held(campaign: Campaign) -> None:
    """Quiet-hour holds become pending at 08:00 KST and a send is queued for then."""
    first = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).order_by("not_before").first()
    if first is None:
        return
    Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).update(status=Delivery.Status.PENDING)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
    from .tasks import campaign_send_task
    transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=first.not_before))


def _finish_rows(rows: list[Delivery]) -> None:
    """Store each row's outcome. On Postgres one UPDATE ... FROM (VALUES ...) per wave: Django's
    bulk_update builds a CASE per column and row, which cost more than the sends themselves."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(rows, ["status", "reason", "sent_at", "provider_response", "tracking_id"],
                                     batch_size=1000)
        return
    values, params = [], []
    for d in rows:
        values.append("(%s, %s, %s, %s::timestamptz, %s::jsonb, %s)")
        params += [d.pk, d.status, d.reason or "", d.sent_at,
                   None if d.provider_response is None else json.dumps(d.provider_response), d.tracking_id]
    table = Delivery._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS d SET status = v.status, reason = v.reason, sent_at = v.sent_at, "
            f"provider_response = v.resp, tracking_id = v.tid "
            f"FROM (VALUES {', '.join(values)}) AS v(id, status, reason, sent_at, resp, tid) WHERE d.id = v.id",
            params)


class _PushSender:
    def __init__(self, campaign: Campaign, variants: dict):
        self.campaign, self.variants = campaign, variants
        self.fcm = fcm_client()

    def close(self) -> None:
        self.fcm.close()

    def send(self, rows: list[Delivery]) -> None:
        msgs, by_key = [], {}
        now = dj_timezone.now()
        for d in rows:
            by_key[str(d.pk)] = d
            sub = d.push_subscription
            if sub is None or not sub.is_active:
                d.status, d.reason = Delivery.Status.FAILED, "no_subscription"
                continue
            title, body, link = render_message(campaign=self.campaign, variant=self.variants[d.variant], delivery=d)
            msgs.append(PushMessage(key=str(d.pk), token=sub.token, title=title, body=body, link=link,
                                    data={"untitle_tid": d.tracking_id}))
        dead: list[int] = []
        try:
            for i in range(0, len(msgs), 500):
                for r in self.fcm.send_batch(msgs[i:i + 500]):
                    d = by_key[r.key]
                    d.provider_response = {"status": r.status, "name": r.message_id, "error": r.error}
                    if r.outcome == "ok":
                        d.status, d.sent_at, d.reason = Delivery.Status.SENT, now, ""
                    else:
                        d.status, d.reason = Delivery.Status.FAILED, r.outcome
                        if r.outcome in ("unregistered", "invalid"):
                            dead.append(d.push_subscription_id)
                        if r.outcome == "config":
                            raise FCMConfigError(r.error or f"FCM {r.status}")
        finally:
            # Persist whatever got an answer, even when the wave stops half-way.
            _finish_rows([d for d in rows if d.status != Delivery.Status.SENDING])
            if dead:
                PushSubscription.objects.filter(pk__in=dead).update(is_active=False)


class _SmsSender:
    """Cafe24 sends one text to up to 100 members a call: group the wave by rendered text."""

    def __init__(self, campaign: Campaign, variants: dict):
        self.campaign, self.variants = campaign, variants
        self.api = cafe24_api(client=campaign.client)
        self.conn = Cafe24Connection.objects.get(client=campaign.client)

    def close(self) -> None:
        self.api.http.close()

    def send(self, rows: list[Delivery]) -> None:
        groups: dict[tuple, list[Delivery]] = {}
        contacts = {c.member_id: c for c in MemberContact.objects.filter(
            client=self.campaign.client, member_id__in=[d.member_id for d in rows])}
        for d in rows:
            c = contacts.get(d.member_id)
            # The tracking id is per variant here: one text per call cannot carry 100 ids.
            d.tracking_id = f"c{self.campaign.pk}{d.variant}"
            title, body, _link = render_message(campaign=self.campaign, variant=self.variants[d.variant], delivery=d,
                                                values={"name": c.name if c else ""})
            groups.setdefault((title, body), []).append(d)
        now = dj_timezone.now()
        try:
            for (title, body), ds in groups.items():
                try:
                    type_ = compliance.sms_type(body)
                except ValueError:
                    for d in ds:
                        d.status, d.reason = Delivery.Status.FAILED, "too_long"
                    continue
                for i in range(0, len(ds), 100):
                    part = ds[i:i + 100]
                    try:
                        res = self.api.sms_send(sender_no=self.conn.sender_no, content=body, type_=type_, title=title,
                                                member_ids=[d.member_id for d in part])
                    except Cafe24Revoked:
                        for d in part:
                            d.status, d.reason = Delivery.Status.PENDING, ""
                        raise
                    except Cafe24Error as exc:
                        for d in part:
                            d.status, d.reason = Delivery.Status.FAILED, exc.code
                            d.provider_response = {"status": exc.status, "error": str(exc)[:300]}
                        continue
                    for d in part:
                        d.status, d.sent_at, d.provider_response = Delivery.Status.SENT, now, {"queue_code": res.get("queue_code")}
        finally:
            _finish_rows([d for d in rows if d.status != Delivery.Status.SENDING])


def campaign_test_send(*, campaign: Campaign, actor, visitor: str = "", member_id: str = "") -> dict:
    """Send the first variant to the marketer's own browser or member id; nothing is recorded
    as a delivery and no audience member receives it."""
    variant = campaign.variants.first()
    title, body, link = render_message(campaign=campaign, variant=variant, values={"name": "테스트"})
    title = f"[TEST] {title}"
    if campaign.channel == Campaign.Channel.PUSH:
        try:
            vid = uuid_mod.UUID(str(visitor))
        except ValueError:
            raise MessagingError(_("테스트 받을 방문자 ID(uuid)를 입력해 주세요. 쇼핑몰에서 알림을 허용한 브라우저의 ID입니다."),
                                 field="visitor")
        subs = list(PushSubscription.objects.filter(client=campaign.client, uuid=vid, is_active=True))
        if not subs:
            raise MessagingError(_("이 방문자 ID로 구독된 브라우저가 없습니다. 쇼핑몰에서 알림을 먼저 허용해 주세요."), field="visitor")
        fcm = fcm_client()
        try:
            results = fcm.send_batch([PushMessage(key=str(s.pk), token=s.token, title=title, body=body, link=link)
                                      for s in subs])
        finally:
            fcm.close()
        out = {"sent": sum(r.outcome == "ok" for r in results), "failed": sum(r.outcome != "ok" for r in results)}
    else:
        if not member_id.strip():
            raise MessagingError(_("테스트 받을 회원 아이디를 입력해 주세요."), field="member_id")
        campaign_check(campaign)
        conn = Cafe24Connection.objects.get(client=campaign.client)
        cafe24_api(client=campaign.client).sms_send(sender_no=conn.sender_no, content=body, type_=compliance.sms_type(body),
                                                    title=title, member_ids=[member_id.strip()])
        out = {"sent": 1, "failed": 0}
    audit_log(action="campaign.test_send", client=campaign.client, actor=actor, target=campaign.name,
              details={"campaign_id": campaign.pk, **out})
    return out


def campaign_cancel(*, campaign: Campaign, actor=None) -> None:
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELLED)
        Delivery.objects.filter(campaign=campaign, status__in=[Delivery.Status.PENDING, Delivery.Status.HELD]).update(
            status=Delivery.Status.SUPPRESSED, reason="cancelled")
        if campaign.periodic_task_id:
            from django_celery_beat.models import PeriodicTask
            PeriodicTask.objects.filter(pk=campaign.periodic_task_id).update(enabled=False)
        audit_log(action="campaign.cancel", client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk})


def reencrypt_all() -> int:
    """Re-encrypt every secret with the first key (after putting a new key first)."""
    n = 0
    for model, fields in ((Cafe24Connection, ["access_token", "refresh_token"]),
                          (PushSubscription, ["token"]), (MemberContact, ["cellphone", "name"])):
        for obj in model.objects.all().iterator():
            obj.save(update_fields=fields)  # from_db_value decrypted with any key; save encrypts with the first
            n += 1
    return n
