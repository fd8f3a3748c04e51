"""Writes for alerts: scans, notifications, explanations, acknowledge / mute / settings.

Keyword-only, one transaction each; user actions are audited (tenants.facade.audit_log).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

import gemini
from tenants.facade import audit_log
from tenants.models import Client
from untitle import outbound
from untitle.webhooks import signed_headers

from . import selectors
from .audit import AuditAction
from .detect import explain as explain_mod
from .detect.detector import DROP, Track, advance, detect
from .detect.gemini import ExplainUnavailable, GeminiExplainer
from .detect.series import Key, align
from .errors import AlertError, AlertErrorCode
from .models import Alert, AlertMute, Notification, NotificationSettings

log = logging.getLogger(__name__)

EXPLAIN_TTL_S = 3 * 3600
CALLS_KEY = "alerts:explain:model_calls"
SAVED_KEY = "alerts:explain:calls_saved"
WEBHOOK_TIMEOUT_S = 5.0


@dataclass
class ScanResult:
    at: datetime
    series: int = 0
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)
    skipped: bool = False


def _track(a: Alert) -> Track:
    return Track(level=a.level, start=a.start_bucket, last=a.last_bucket, expected=a.expected,
                 peak=a.peak, quiet=a.quiet_scans, streak=a.streak, scans=a.scans)


def _baselines(sig, i: int) -> dict:
    def num(v):
        v = float(v)
        return None if v != v else round(v, 2)   # NaN (no such day yet) -> None

    return {"short": num(sig.short[i]), "yesterday": num(sig.yesterday[i]), "week": num(sig.week[i])}


def scan_client(*, client: Client, at: datetime | None = None,
                max_entities: int = selectors.MAX_ENTITIES_PER_METRIC) -> ScanResult:
    """One scan: read all series (one ClickHouse query), detect, create/update/resolve alerts,
    then notify the ones that started alerting. Re-running the same ``at`` changes nothing."""
    at = align(at or timezone.now())
    bucket = at - timedelta(minutes=5)        # the current bucket the scan judges
    frame = selectors.series_frame(client=client, at=at, max_entities=max_entities)
    result = ScanResult(at=at, series=len(frame.keys))
    to_notify: list[Alert] = []
    with transaction.atomic():
        open_rows = {k: a for k, a in selectors.open_alerts(client=client).items()}
        if any(a.scanned_at and a.scanned_at >= at for a in open_rows.values()):
            result.skipped = True
            return result
        index = frame.index()
        frozen = {index[Key(*k)]: a.expected for k, a in open_rows.items()
                  if a.is_alerting and Key(*k) in index}
        sig = detect(frame, frozen=frozen)
        rows = set(i for i, lv in enumerate(sig.level) if lv) | {index[Key(*k)] for k in open_rows if Key(*k) in index}
        views_drop = _shop_views_fell(frame, sig)
        for i in sorted(rows):
            key = frame.keys[i]
            alert = open_rows.pop((key.kind, key.entity, key.metric), None)
            before = _track(alert) if alert else None
            after, what = advance(before, sig.level[i], at=bucket, observed=float(sig.observed[i]),
                                  expected=float(sig.expected[i]))
            if what is None:
                continue
            fields = dict(observed=float(sig.observed[i]), z=round(float(sig.z[i]), 2), baselines=_baselines(sig, i),
                          scanned_at=at)
            if alert is None:
                alert = Alert.objects.create(
                    client=client, entity_kind=key.kind, entity_id=key.entity, metric=key.metric,
                    level=after.level, start_bucket=after.start, last_bucket=after.last, expected=after.expected,
                    peak=after.peak, **fields)
                if after.alerting:
                    result.opened.append(alert.pk)
                    to_notify.append(alert)
                continue
            if after is None:
                alert.state = Alert.State.EXPIRED if what == "expired" else Alert.State.RESOLVED
                alert.scanned_at = at
                alert.save(update_fields=["state", "scanned_at", "updated_at"])
                result.resolved.append(alert.pk)
                continue
            for name, value in fields.items():
                setattr(alert, name, value)
            alert.level, alert.last_bucket, alert.peak = after.level, after.last, after.peak
            alert.quiet_scans, alert.streak, alert.scans = after.quiet, after.streak, after.scans
            if what == "promoted":
                to_notify.append(alert)
                result.opened.append(alert.pk)
            else:
                result.updated.append(alert.pk)
            alert.save()
        # open alerts whose series left the scanned set (quiet now): one quiet scan each
        for (kind, entity, metric), alert in open_rows.items():
            after, what = advance(_track(alert), None, at=bucket, observed=0.0, expected=alert.expected)
            if after is None:
                alert.state = Alert.State.EXPIRED if what == "expired" else Alert.State.RESOLVED
                result.resolved.append(alert.pk)
            else:
                alert.quiet_scans = after.quiet
            alert.scanned_at = at
            alert.save()
    for alert in to_notify:
        checkout = alert.entity_kind == "shop" and alert.metric == "orders" and alert.level == DROP and not views_drop
        alert_explain(alert=alert, at=at, checkout_broken=checkout)
        if alert_notify(alert=alert, at=at):
            result.notified.append(alert.pk)
    return result


def _shop_views_fell(frame, sig) -> bool:
    idx = frame.index().get(Key("shop", "", "views"))
    return idx is not None and sig.level[idx] == DROP


# --- explanations -----------------------------------------------------------------------------

def explain_cache_key(*, alert: Alert) -> str:
    """(client, entity, bucket): one explanation per series and surge start, shared by every
    scan, page view and worker for 3 hours."""
    raw = f"{alert.client_id}|{alert.entity_kind}|{alert.entity_id}|{alert.metric}|{alert.start_bucket:%Y%m%d%H%M}"
    return "alerts:explain:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _count(key: str) -> None:
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def explain_counters() -> dict:
    return {"model_calls": int(cache.get(CALLS_KEY) or 0), "calls_saved": int(cache.get(SAVED_KEY) or 0)}


def alert_explain(*, alert: Alert, at: datetime | None = None, checkout_broken: bool = False) -> Alert:
    """Explain an alert: cached Gemini summary, else the offline template (same numbers)."""
    at = at or timezone.now()
    key = explain_cache_key(alert=alert)
    cached = cache.get(key)
    if cached:
        # the model call the cache saved (a Gemini text only; offline ones cost nothing)
        if cached.get("source") == "gemini":
            _count(SAVED_KEY)
        alert.explanation, alert.explanation_source = cached["text"], cached["source"]
        alert.drilldown = cached.get("drill", {})
        alert.save(update_fields=["explanation", "explanation_source", "drilldown", "updated_at"])
        return alert
    try:
        drill = selectors.drilldown(client=alert.client, alert=alert, at=at)
    except Exception as exc:   # the store is busy or down: explain from the series alone
        log.warning("alerts drilldown failed: %s", exc)
        drill = {}
    facts = dict(kind=alert.entity_kind, entity=alert.entity_id, metric=alert.metric, level=alert.level,
                 observed=alert.observed, expected=alert.expected, baselines=alert.baselines, drill=drill,
                 checkout_broken=checkout_broken)
    text, source = explain_mod.offline_explanation(**facts), "offline"
    config = gemini.GeminiConfig.from_settings(settings)
    if config.enabled:
        try:
            # the explainer keeps its own short timeout: a scan must not wait on the model
            engine = GeminiExplainer(config.api_key, config.model, base_url=config.base_url)
            _count(CALLS_KEY)
            text, source = engine.explain(explain_mod.gemini_prompt(**facts)), "gemini"
        except ExplainUnavailable as exc:
            log.info("alerts: Gemini explanation unavailable, offline template used: %s", exc)
    cache.set(key, {"text": text, "source": source, "drill": drill}, timeout=EXPLAIN_TTL_S)
    alert.explanation, alert.explanation_source, alert.drilldown = text, source, drill
    alert.save(update_fields=["explanation", "explanation_source", "drilldown", "updated_at"])
    return alert


# --- notifications ----------------------------------------------------------------------------

def _muted(alert: Alert, at: datetime) -> bool:
    return any(m.covers(kind=alert.entity_kind, entity=alert.entity_id, metric=alert.metric, at=at)
               for m in selectors.active_mutes(client=alert.client, at=at))


def alert_payload(alert: Alert) -> dict:
    return {"id": alert.pk, "client_id": alert.client_id, "entity": alert.entity_label,
            "entity_kind": alert.entity_kind, "entity_id": alert.entity_id, "metric": alert.metric,
            "level": alert.level, "state": alert.state, "observed": alert.observed,
            "expected": round(alert.expected, 2), "baselines": alert.baselines,
            "start": alert.start_bucket.isoformat(), "last": alert.last_bucket.isoformat(),
            "explanation": alert.explanation}


def alert_notify(*, alert: Alert, at: datetime | None = None) -> bool:
    """In-app, e-mail and webhook, once per channel per alert, unless a mute covers it."""
    at = at or timezone.now()
    if _muted(alert, at):
        Alert.objects.filter(pk=alert.pk).update(muted=True)
        alert.muted = True
        return False
    conf = selectors.notification_settings(client=alert.client)
    sent = False
    if _claim(alert, Notification.Channel.IN_APP):
        sent = True
    subject_line = f"[UNTITLE] {alert.get_level_display()}: " + explain_mod.subject(
        alert.entity_kind, alert.entity_id, alert.metric)
    if conf.email_enabled and conf.email_recipients and _claim(alert, Notification.Channel.EMAIL):
        try:
            url = f"{settings.PUBLIC_BASE_URL}/c/{alert.client.slug}/alerts/{alert.pk}/"
            send_mail(subject_line, f"{alert.explanation}\n\n{url}", None, list(conf.email_recipients))
            _deliver(alert, Notification.Channel.EMAIL, True, f"{len(conf.email_recipients)} recipients")
        except Exception as exc:
            _deliver(alert, Notification.Channel.EMAIL, False, str(exc)[:300])
    if conf.webhook_enabled and conf.webhook_url and _claim(alert, Notification.Channel.WEBHOOK):
        body = json.dumps({"type": "alert", "alert": alert_payload(alert)}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "UNTITLE-alerts/1"}
        if conf.webhook_secret:
            headers.update(signed_headers(conf.webhook_secret, body))
        # outbound refuses our own network and keeps socket errors out of the notification's detail
        delivery = outbound.post(conf.webhook_url, body=body, headers=headers, timeout=WEBHOOK_TIMEOUT_S,
                                 allow=outbound.AllowList.parse(settings.WEBHOOK_ALLOWLIST), what="alert webhook")
        _deliver(alert, Notification.Channel.WEBHOOK, delivery.ok,
                 f"HTTP {delivery.status}" if delivery.ok else delivery.error)
    Alert.objects.filter(pk=alert.pk).update(notified_at=at)
    return sent


def _claim(alert: Alert, channel: str) -> bool:
    """Reserve the one delivery of this alert on this channel (retries never send twice)."""
    _obj, created = Notification.objects.get_or_create(alert=alert, channel=channel,
                                                        defaults={"client": alert.client})
    return created


def _deliver(alert: Alert, channel: str, ok: bool, detail: str) -> None:
    Notification.objects.filter(alert=alert, channel=channel).update(ok=ok, detail=detail)


# --- user actions -----------------------------------------------------------------------------

@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor) -> Alert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        Notification.objects.filter(alert=alert, read_at__isnull=True).update(read_at=timezone.now())
        audit_log(action=AuditAction.ACKNOWLEDGE, client=alert.client, actor=actor, target=f"alert:{alert.pk}")
    return alert


MAX_MUTE_HOURS = 24 * 30


def _mute_hours(hours) -> int:
    """The mute's length as given by a form or a JSON body: a whole number of hours in range."""
    try:
        value = int(hours)
    except (TypeError, ValueError):
        message = "hours는 1 이상의 정수(시간)여야 합니다."
        raise AlertError(message, code=AlertErrorCode.HOURS, fields={"hours": message}) from None
    if not 1 <= value <= MAX_MUTE_HOURS:
        message = f"음소거 시간은 1~{MAX_MUTE_HOURS}시간 사이여야 합니다."
        raise AlertError(message, code=AlertErrorCode.HOURS, fields={"hours": message})
    return value


@transaction.atomic
def alert_mute_create(*, client: Client, actor, hours: int | str, entity_kind: str = "", entity_id: str = "",
                      metric: str = "", reason: str = "") -> AlertMute:
    """Silence one series (kind + id + metric), a whole metric or everything for ``hours``."""
    hours = _mute_hours(hours)
    if entity_kind and (not isinstance(entity_kind, str) or entity_kind not in explain_mod.KIND_KO):
        message = "알 수 없는 대상 종류입니다."
        raise AlertError(message, code=AlertErrorCode.ENTITY_KIND, fields={"entity_kind": message})
    if metric and (not isinstance(metric, str) or metric not in explain_mod.METRIC_KO):
        message = "알 수 없는 지표입니다."
        raise AlertError(message, code=AlertErrorCode.METRIC, fields={"metric": message})
    mute = AlertMute.objects.create(client=client, entity_kind=entity_kind, entity_id=entity_id, metric=metric,
                                    until=timezone.now() + timedelta(hours=hours), reason=reason[:200],
                                    created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_log(action=AuditAction.MUTE, client=client, actor=actor, target=f"mute:{mute.pk}",
              details={"entity_kind": entity_kind, "entity_id": entity_id, "metric": metric, "hours": hours})
    return mute


@transaction.atomic
def alert_mute_delete(*, mute: AlertMute, actor) -> None:
    audit_log(action=AuditAction.UNMUTE, client=mute.client, actor=actor, target=f"mute:{mute.pk}")
    mute.delete()


@transaction.atomic
def notification_settings_update(*, client: Client, actor, email_enabled: bool, email_recipients: list[str],
                                 webhook_enabled: bool, webhook_url: str, webhook_secret: str | None = None
                                 ) -> NotificationSettings:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator, validate_email

    recipients = [r.strip() for r in email_recipients if r.strip()][:20]
    for r in recipients:
        try:
            validate_email(r)
        except ValidationError:
            message = f"이메일 주소가 올바르지 않습니다: {r}"
            raise AlertError(message, code=AlertErrorCode.EMAIL_RECIPIENTS,
                             fields={"email_recipients": message}) from None
    if webhook_url:
        try:
            URLValidator(schemes=["https", "http"])(webhook_url)
        except ValidationError:
            message = "웹훅 URL이 올바르지 않습니다 (https://로 시작하는 주소)."
            raise AlertError(message, code=AlertErrorCode.WEBHOOK_URL, fields={"webhook_url": message}) from None
        try:  # refused while the owner is on the settings page, not silently at the first alert
            outbound.check_url(webhook_url, allow=outbound.AllowList.parse(settings.WEBHOOK_ALLOWLIST))
        except outbound.Refused as exc:
            message = ("웹훅 URL이 내부·사설 네트워크 주소를 가리킵니다. 인터넷에서 접근할 수 있는 주소를 입력해 주세요."
                       if exc.reason == outbound.REFUSED else f"웹훅 URL을 사용할 수 없습니다: {exc.reason}")
            raise AlertError(message, code=AlertErrorCode.WEBHOOK_URL, fields={"webhook_url": message}) from None
    if webhook_enabled and not webhook_url:
        message = "웹훅을 켜려면 URL을 입력하세요."
        raise AlertError(message, code=AlertErrorCode.WEBHOOK_URL, fields={"webhook_url": message})
    conf = selectors.notification_settings(client=client)
    conf.email_enabled, conf.email_recipients = email_enabled, recipients
    conf.webhook_enabled, conf.webhook_url = webhook_enabled, webhook_url
    if webhook_secret is not None:
        conf.webhook_secret = webhook_secret
    conf.save()
    audit_log(action=AuditAction.SETTINGS, client=client, actor=actor, target="alert-settings",
              details={"email_enabled": email_enabled, "recipients": len(recipients),
                       "webhook_enabled": webhook_enabled})
    return conf
