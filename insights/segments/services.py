"""Segments: saved audience rules and their frozen versions (DESIGN.md §8).

- Writes: create / update / delete, one transaction each, audited, the refresh schedule kept in
  step with beat.
- Refresh: freezes the matching visitors as a new version in the ClickHouse table
  ``segment_member`` and one SegmentSnapshot row with size / entered / left.
- Exports (CSV, JSON) stream from the latest snapshot, masked unless the role allows (viewers may
  export masked, but not save, refresh or push); every export is audited.
- Webhook: the snapshot POSTed, signed, to the segment's URL (retried by the task).
"""
from __future__ import annotations

import json
import secrets
import time
from datetime import date
from typing import Any, Iterator

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from insights.tasks import push_segment_webhook as push_segment_webhook_task
from insights.tasks import refresh_segment as refresh_segment_task
from tenants.facade import audit_log
from tenants.models import Client
from untitle import outbound
from untitle.beat import cron_task_sync, validate_schedule
from untitle.webhooks import signed_headers

from .. import store
from ..audit import AuditAction
from ..errors import AskError, AskErrorCode
from ..models import Segment, SegmentSnapshot
from ..query.compiler import compile_query
from ..saved_queries.services import clean_name
from .audience import audience_compile
from .selectors import can_see_pii, latest_snapshot

KEEP_VERSIONS = 10  # snapshots kept in ClickHouse per segment
SNAPSHOT_CAP = 5_000_000  # visitors one snapshot may hold
WEBHOOK_MEMBERS = 10_000  # members carried in one webhook body (the rest: export)


# --- writes ---------------------------------------------------------------------------------

def _webhook_url_error(message: str) -> AskError:
    return AskError(message, code=AskErrorCode.WEBHOOK_URL, fields={"webhook_url": message})


def _clean_webhook(url: Any) -> str:
    url = str(url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise _webhook_url_error(_("웹훅 URL은 http:// 또는 https://로 시작해야 합니다."))
    if len(url) > 500:
        raise _webhook_url_error(_("웹훅 URL이 너무 깁니다."))
    if url:
        try:  # refused now rather than at the first push: the marketer is here to fix it
            outbound.check_url(url, allow=outbound.AllowList.parse(settings.WEBHOOK_ALLOWLIST))
        except outbound.Refused as exc:
            raise _webhook_url_error(_("웹훅 URL이 내부·사설 네트워크 주소를 가리킵니다. 인터넷에서 접근할 수 있는 "
                                       "주소를 입력해 주세요.") if exc.reason == outbound.REFUSED
                                     else _("웹훅 URL을 사용할 수 없습니다: %(reason)s") % {"reason": exc.reason})
    return url


def _name_taken() -> AskError:
    return AskError(_("같은 이름의 세그먼트가 이미 있습니다."), code=AskErrorCode.NAME, status=409)


def _sync_schedule(segment: Segment) -> None:
    task = cron_task_sync(
        current=segment.periodic_task, name=f"segment-refresh-{segment.pk}", task="insights.tasks.refresh_segment",
        cron=segment.schedule, timezone=segment.client.timezone, args=[segment.pk],
        kwargs={"trigger": "schedule"}, description=f"{segment.client.slug}: {segment.name}")
    if segment.periodic_task_id != (task.pk if task else None):
        segment.periodic_task = task
        segment.save(update_fields=["periodic_task"])


def segment_create(*, client: Client, name: str, rules: Any, actor=None, description: str = "",
                   schedule: str | None = None, webhook_url: str = "") -> Segment:
    compiled = audience_compile(rules=rules, client=client)
    name = clean_name(name)
    schedule = validate_schedule("0 6 * * *" if schedule is None else schedule)
    webhook_url = _clean_webhook(webhook_url)
    try:
        with transaction.atomic():
            seg = Segment.objects.create(
                client=client, name=name, description=str(description or "")[:2000], rules=compiled.rules,
                ir=compiled.query.model_dump(mode="json", exclude_none=True), schedule=schedule,
                owner=actor if getattr(actor, "pk", None) else None, webhook_url=webhook_url,
                webhook_secret=secrets.token_hex(32))
            _sync_schedule(seg)
            audit_log(action=AuditAction.SEGMENT_CREATE, client=client, actor=actor, target=name,
                      details={"segment_id": seg.pk, "schedule": schedule})
    except IntegrityError:
        raise _name_taken()
    return seg


def segment_update(*, segment: Segment, actor=None, name: str | None = None, rules: Any = None,
                   description: str | None = None, schedule: str | None = None,
                   webhook_url: str | None = None) -> Segment:
    changed = []
    if name is not None:
        segment.name = clean_name(name)
        changed.append("name")
    if rules is not None:
        compiled = audience_compile(rules=rules, client=segment.client)
        segment.rules = compiled.rules
        segment.ir = compiled.query.model_dump(mode="json", exclude_none=True)
        changed += ["rules", "ir"]
    if description is not None:
        segment.description = str(description)[:2000]
        changed.append("description")
    if schedule is not None:
        segment.schedule = validate_schedule(schedule)
        changed.append("schedule")
    if webhook_url is not None:
        segment.webhook_url = _clean_webhook(webhook_url)
        changed.append("webhook_url")
    try:
        with transaction.atomic():
            segment.save()
            _sync_schedule(segment)
            audit_log(action=AuditAction.SEGMENT_UPDATE, client=segment.client, actor=actor, target=segment.name,
                      details={"segment_id": segment.pk, "fields": changed})
    except IntegrityError:
        raise _name_taken()
    return segment


def segment_delete(*, segment: Segment, actor=None) -> None:
    client, pk, name = segment.client, segment.pk, segment.name
    with transaction.atomic():
        task = segment.periodic_task
        segment.delete()
        if task is not None:
            task.delete()
        audit_log(action=AuditAction.SEGMENT_DELETE, client=client, actor=actor, target=name,
                  details={"segment_id": pk})
        transaction.on_commit(lambda: store.segment_versions_drop(client_id=client.pk, segment_id=pk, upto=None))


# --- refresh --------------------------------------------------------------------------------

def segment_refresh_start(*, segment: Segment, actor=None) -> None:
    """Queue a refresh on the worker (after this transaction commits)."""
    audit_log(action=AuditAction.SEGMENT_REFRESH, client=segment.client, actor=actor, target=segment.name,
              details={"segment_id": segment.pk})
    transaction.on_commit(lambda: refresh_segment_task.delay(segment.pk))


def segment_refresh(*, segment_id: int, trigger: str = "manual", today: date | None = None) -> SegmentSnapshot:
    """Freeze the segment's current members as a new version and compare it with the previous one.

    Safe to retry: a failed attempt leaves a FAILED snapshot whose version is never read, and the
    next attempt writes the next version.
    """
    with transaction.atomic():
        seg = Segment.objects.select_for_update().select_related("client").get(pk=segment_id)
        version = seg.latest_version + 1
        prev = (SegmentSnapshot.objects.filter(segment=seg, status=SegmentSnapshot.Status.SUCCEEDED)
                .order_by("-version").first())
        seg.latest_version = version
        seg.save(update_fields=["latest_version"])
        snap = SegmentSnapshot.objects.create(client=seg.client, segment=seg, version=version, trigger=trigger)
    client = seg.client
    started = time.perf_counter()
    try:
        from ..query.ir import Query

        try:  # the rules, re-resolved now (an RFM segment changes between refreshes)
            q = audience_compile(rules=seg.rules, client=client).query
        except AskError:  # a filter unavailable now: the IR saved with the segment still runs
            q = Query.model_validate(seg.ir)
        today = today or client.today()
        cq = compile_query(q, client_id=client.pk, timezone=client.timezone, today=today, limit=SNAPSHOT_CAP)
        select, _sep, _tail = cq.sql.rpartition("\nSETTINGS ")
        store.segment_version_write(client_id=client.pk, segment_id=seg.pk, version=version, select=select,
                                    params=cq.params)
        stats = store.segment_version_stats(client_id=client.pk, segment_id=seg.pk, version=version,
                                            previous=prev.version if prev else None)
    except Exception as exc:
        err = exc if isinstance(exc, AskError) else store.translate_clickhouse_error(exc)
        SegmentSnapshot.objects.filter(pk=snap.pk).update(status=SegmentSnapshot.Status.FAILED, error=err.message,
                                                          duration_ms=int((time.perf_counter() - started) * 1000))
        snap.refresh_from_db()
        return snap
    with transaction.atomic():
        SegmentSnapshot.objects.filter(pk=snap.pk).update(
            status=SegmentSnapshot.Status.SUCCEEDED, window_start=cq.window.start, window_end=cq.window.end,
            duration_ms=int((time.perf_counter() - started) * 1000), **stats)
        # Keep the newest KEEP_VERSIONS successful versions in ClickHouse; Postgres keeps every size.
        keep = (SegmentSnapshot.objects.filter(segment=seg, status=SegmentSnapshot.Status.SUCCEEDED)
                .order_by("-version").values_list("version", flat=True)[KEEP_VERSIONS:KEEP_VERSIONS + 1])
        if keep:
            oldest = keep[0]
            transaction.on_commit(lambda: store.segment_versions_drop(client_id=client.pk, segment_id=seg.pk,
                                                                      upto=oldest))
        if seg.webhook_url:
            transaction.on_commit(lambda: push_segment_webhook_task.delay(seg.pk, version))
    snap.refresh_from_db()
    return snap


# --- export ---------------------------------------------------------------------------------

def segment_export(*, segment: Segment, membership, actor=None, fmt: str = "csv") -> tuple[Iterator[bytes], str]:
    """A streamed download of the latest snapshot (masked unless the role allows), audited."""
    if fmt not in ("csv", "json"):
        raise AskError(_("형식은 csv 또는 json이어야 합니다."), code=AskErrorCode.FORMAT)
    client = segment.client
    snap = latest_snapshot(client=client, segment=segment)
    if snap is None:
        raise AskError(_("아직 갱신된 적이 없는 세그먼트입니다. 먼저 '지금 갱신'을 눌러 주세요."),
                       code=AskErrorCode.NO_SNAPSHOT, status=409)
    pii = can_see_pii(membership)
    audit_log(action=AuditAction.SEGMENT_EXPORT, client=client, actor=actor, target=segment.name,
              details={"segment_id": segment.pk, "version": snap.version, "format": fmt, "rows": snap.size,
                       "pii": pii})
    version = dict(client_id=client.pk, segment_id=segment.pk, version=snap.version, masked=not pii)
    if fmt == "csv":
        return store.segment_version_stream(**version, fmt="CSVWithNames"), "text/csv; charset=utf-8"
    return _json_array(store.segment_version_stream(**version, fmt="JSONEachRow")), "application/json"


def _json_array(lines: Iterator[bytes]) -> Iterator[bytes]:
    """JSONEachRow chunks -> one JSON array, without holding the rows."""
    yield b"["
    first, rest = True, b""
    for chunk in lines:
        rest += chunk
        *done, rest = rest.split(b"\n")
        for line in done:
            if line.strip():
                yield (b"" if first else b",\n") + line
                first = False
    if rest.strip():
        yield (b"" if first else b",\n") + rest
    yield b"]\n"


# --- webhook --------------------------------------------------------------------------------

class WebhookFailed(RuntimeError):
    pass


def segment_webhook_push(*, segment_id: int, version: int | None = None) -> int:
    """POST the snapshot to the segment's webhook URL, signed, through ``untitle.outbound``.

    Raises WebhookFailed (to be retried) when the receiver failed; an address outbound refuses is
    audited and not retried. The audit keeps outbound's generic sentence, never the socket error.
    """
    seg = Segment.objects.select_related("client").get(pk=segment_id)
    if not seg.webhook_url:
        return 0
    client = seg.client
    snap = latest_snapshot(client=client, segment=seg) if version is None else \
        SegmentSnapshot.objects.filter(segment=seg, version=version, status=SegmentSnapshot.Status.SUCCEEDED).first()
    if snap is None:
        return 0
    members = []
    for i, (u, m) in enumerate(store.segment_version_members(client_id=client.pk, segment_id=seg.pk,
                                                             version=snap.version)):
        if i >= WEBHOOK_MEMBERS:
            break
        members.append({"uuid": u, "member_id": m})
    payload = {"event": "segment.refreshed", "client_id": client.pk, "segment_id": seg.pk, "segment": seg.name,
               "version": snap.version, "size": snap.size, "entered": snap.entered, "left": snap.left,
               "members": members, "truncated": snap.size > len(members),
               "refreshed_at": snap.created_at.isoformat()}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    delivery = outbound.post(seg.webhook_url, body=body, headers=signed_headers(seg.webhook_secret, body),
                             allow=outbound.AllowList.parse(settings.WEBHOOK_ALLOWLIST), what="segment webhook")
    details = {"segment_id": seg.pk, "version": snap.version, "ok": delivery.ok}
    if delivery.status is not None:
        details["status"] = delivery.status
    if delivery.ok:
        details["members"] = len(members)
    else:
        details["error"] = delivery.error
    audit_log(action=AuditAction.SEGMENT_WEBHOOK, client=client, target=seg.name, details=details)
    if delivery.refused:
        return 0
    if not delivery.ok:
        raise WebhookFailed(delivery.error)
    return len(members)


def segment_webhook_start(*, segment: Segment) -> None:
    """Queue a push of the latest snapshot now (after this transaction commits)."""
    if not segment.webhook_url:
        raise AskError(_("웹훅 URL이 설정되지 않았습니다. 세그먼트 설정에서 URL을 입력해 주세요."),
                       code=AskErrorCode.NO_WEBHOOK)
    transaction.on_commit(lambda: push_segment_webhook_task.delay(segment.pk, None))
