"""Audiences and segments: the Django side of insights/audience/ (DESIGN.md §8).

- Live size: rules -> IR -> one ClickHouse count (+ a 20-row sample), cached for 5 minutes by the
  sha256 of the canonical IR, the client and the day (Redis in production).
- Segments: saved rules; each refresh freezes the matching visitors as a new version in the
  ClickHouse table ``segment_member`` and one SegmentSnapshot row with size / entered / left.
- Exports (CSV, JSON) stream from the latest snapshot; a signed webhook pushes it; ``segment_members``
  is the campaigns' hand-off (``insights.audience.members``).

PII policy: the only personal datum here is the Cafe24 member id (no phone numbers live in
ClickHouse). Marketers and owners see and export it whole; viewers see it masked (me****01) in the
sample and in exports. Viewers may export (masked) but not save, refresh or push. Every export is
audited.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
import uuid as uuid_mod
from datetime import date
from typing import Any, Iterator

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from events import clickhouse
from tenants.models import Client, Role
from tenants.services import audit_log
from untitle.beat import cron_task_sync
from untitle.webhooks import signed_headers

from .audience import filters as F
from .audience import rules as R
from .audience.describe import describe, describe_en
from .models import Segment, SegmentSnapshot
from .query.compiler import (
    MEMBER_IDS_SQL,
    CompileError,
    compile_audience_size,
    compile_query,
)
from .services import (
    AskError,
    _query_settings,
    client_today,
    parse_today,
    translate_clickhouse_error,
    validate_schedule,
)

log = logging.getLogger(__name__)

LIVE_TTL = 300  # seconds a live count is reused (the issue: 5 minutes)
SAMPLE_SIZE = 20
KEEP_VERSIONS = 10  # snapshots kept in ClickHouse per segment
SNAPSHOT_CAP = 5_000_000  # visitors one snapshot may hold
WEBHOOK_MEMBERS = 10_000  # members carried in one webhook body (the rest: export)
MEMBERS_PAGE = 50_000


# --- helpers --------------------------------------------------------------------------------

def mask_member_id(member_id: str | None) -> str:
    """'member0001' -> 'me******01': enough to tell rows apart, not to identify the shopper."""
    if not member_id:
        return ""
    s = str(member_id)
    if len(s) <= 4:
        return s[0] + "*" * (len(s) - 1)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def can_see_pii(membership) -> bool:
    return membership is not None and membership.allows(Role.MARKETER)


def _rule_error(exc: R.RuleError) -> AskError:
    err = AskError(exc.message, code=exc.code, status=422 if exc.code == "unavailable" else 400)
    err.errors = exc.errors
    return err


def rfm_available(client: Client | None) -> bool:
    """Whether the customers app has scored this shop's RFM segments (then the filter works)."""
    if client is None:
        return False
    try:
        from customers.selectors import latest_model
    except ImportError:  # the customers app is optional for the builder
        return False
    return latest_model(client=client) is not None


def _resolvers(client: Client | None) -> dict:
    """Filters whose data lives outside the event table, resolved for this client at compile time.

    RFM segments (customers app, Postgres): the segment's customer keys become member ids and guest
    visitor ids in the IR, so the count and a refresh see the segment as it is now. A segment
    that keeps its rules (not its IR) re-resolves on every refresh.
    """
    if not rfm_available(client):
        return {}
    from customers.selectors import customer_keys_in_segment

    def rfm(params):
        keys = customer_keys_in_segment(client=client, segment_name=params.segment)
        members, guests = [], []
        for k in keys:
            try:
                guests.append(str(uuid_mod.UUID(k)))
            except ValueError:
                members.append(k)
        node = F.rfm_node(members, guests)
        if node is None:
            raise F.FilterUnavailable(f"RFM 세그먼트 '{params.segment}'에 속한 고객이 없습니다. "
                                      f"vip, mid, low, dormant 또는 쇼핑몰이 정한 세그먼트 이름을 확인해 주세요.")
        return node

    return {"rfm_segment": rfm}


def audience_compile(*, rules: Any, client: Client | None = None) -> R.Compiled:
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError:
            raise AskError(_("규칙(JSON)을 읽을 수 없습니다."), code="invalid_rules")
    try:
        return R.to_query(rules, resolvers=_resolvers(client))
    except R.RuleError as exc:
        raise _rule_error(exc) from exc


def _window_dict(window) -> dict:
    return {"start": window.start.isoformat(), "end": window.end.isoformat()}


# --- live size ------------------------------------------------------------------------------

def audience_size(*, client: Client, rules: Any, membership=None, today: date | str | None = None) -> dict:
    """Size, members and a masked-by-role sample of the audience the rules select."""
    compiled = audience_compile(rules=rules, client=client)
    today = parse_today(today) or client_today(client)
    body = {"rules": compiled.rules, "ir": compiled.query.model_dump(mode="json", exclude_none=True),
            "description": describe(compiled.rules), "description_en": describe_en(compiled.rules),
            "empty_reasons": compiled.empty_reasons}
    key = "audience:size:" + R.ir_hash(compiled.query, client_id=client.pk, day=today.isoformat())
    hit = cache.get(key)
    started = time.perf_counter()
    if hit is None:
        try:
            cq = compile_audience_size(compiled.query, client_id=client.pk, timezone=client.timezone, today=today,
                                       sample=SAMPLE_SIZE)
        except CompileError as exc:
            raise AskError(str(exc), code="compile") from exc
        try:
            res = clickhouse.query(cq.sql, cq.params, settings_=_query_settings())
        except Exception as exc:
            raise translate_clickhouse_error(exc) from exc
        size_, members_, sample = res.rows[0] if res.rows else (0, 0, [])
        sample = [str(u) for u in sample]
        ids = {}
        if sample:
            try:
                rows = clickhouse.query(MEMBER_IDS_SQL, {"client_id": client.pk, "uuids": sample},
                                        settings_=_query_settings()).rows
            except Exception as exc:
                raise translate_clickhouse_error(exc) from exc
            ids = {str(u): m for u, m in rows if m}
        hit = {"size": int(size_), "members": int(members_),
               "sample": [[u, ids.get(u, "")] for u in sample], "window": _window_dict(cq.window),
               "rows_read": res.rows_read}
        cache.set(key, hit, LIVE_TTL)
        body["cached"] = False
    else:
        body["cached"] = True
    body["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    pii = can_see_pii(membership)
    body.update(size=hit["size"], members=hit["members"], window=hit["window"], pii_masked=not pii,
                sample=[{"uuid": u, "member_id": m if pii else mask_member_id(m)} for u, m in hit["sample"]])
    if hit["size"] == 0:
        w = hit["window"]
        body["message"] = (_("조건에 맞는 방문자가 없습니다 (%(start)s ~ %(end)s).") % w)
        if compiled.empty_reasons:
            body["message"] += " " + " ".join(compiled.empty_reasons)
    return body


def audience_from_question(*, client: Client, question: str, engine: str | None = None) -> dict:
    """Natural language -> the IR (offline parser or Gemini) -> rules the builder shows."""
    from .services import question_to_query

    q = question_to_query(client=client, question=question, engine=engine)
    if q.kind == "C":
        raise AskError(q.reason or _("대상을 찾을 수 없는 질문입니다."), code="kind_c", status=422)
    try:
        rules = R.from_query(q)
        compiled = R.to_query(rules, resolvers=_resolvers(client))
    except R.RuleError as exc:
        raise _rule_error(exc) from exc
    return {"rules": compiled.rules, "ir": compiled.query.model_dump(mode="json", exclude_none=True),
            "description": describe(compiled.rules), "description_en": describe_en(compiled.rules),
            "question": question}


# --- segments: writes ---------------------------------------------------------------------

def _clean_name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise AskError(_("이름을 입력해 주세요."), code="name")
    if len(name) > 120:
        raise AskError(_("이름은 120자 이하로 입력해 주세요."), code="name")
    return name


def _clean_webhook(url: Any) -> str:
    url = str(url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise AskError(_("웹훅 URL은 http:// 또는 https://로 시작해야 합니다."), code="webhook_url")
    if len(url) > 500:
        raise AskError(_("웹훅 URL이 너무 깁니다."), code="webhook_url")
    return url


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
    name = _clean_name(name)
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
            audit_log(action="segment.create", client=client, actor=actor, target=name,
                      details={"segment_id": seg.pk, "schedule": schedule})
    except IntegrityError:
        raise AskError(_("같은 이름의 세그먼트가 이미 있습니다."), code="name", status=409)
    return seg


def segment_update(*, segment: Segment, actor=None, name: str | None = None, rules: Any = None,
                   description: str | None = None, schedule: str | None = None,
                   webhook_url: str | None = None) -> Segment:
    changed = []
    if name is not None:
        segment.name = _clean_name(name)
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
            audit_log(action="segment.update", client=segment.client, actor=actor, target=segment.name,
                      details={"segment_id": segment.pk, "fields": changed})
    except IntegrityError:
        raise AskError(_("같은 이름의 세그먼트가 이미 있습니다."), code="name", status=409)
    return segment


def segment_delete(*, segment: Segment, actor=None) -> None:
    client, pk, name = segment.client, segment.pk, segment.name
    with transaction.atomic():
        task = segment.periodic_task
        segment.delete()
        if task is not None:
            task.delete()
        audit_log(action="segment.delete", client=client, actor=actor, target=name, details={"segment_id": pk})
        transaction.on_commit(lambda: _drop_versions(client.pk, pk, upto=None))


def _drop_versions(client_id: int, segment_id: int, upto: int | None) -> None:
    cond = "" if upto is None else " AND version <= {upto:UInt32}"
    try:
        # synchronous: the table is small per segment, and a reader never sees a half-dropped version
        clickhouse.command("ALTER TABLE segment_member DELETE WHERE client_id = {c:Int32} AND segment_id = {s:Int64}"
                           + cond, {"c": client_id, "s": segment_id, "upto": upto or 0},
                           settings_={"mutations_sync": 2})
    except Exception:
        log.exception("could not drop old segment versions %s/%s", client_id, segment_id)


# --- refresh --------------------------------------------------------------------------------

def segment_refresh_start(*, segment: Segment, actor=None) -> None:
    """Queue a refresh on the worker (after this transaction commits)."""
    from .tasks import refresh_segment

    audit_log(action="segment.refresh", client=segment.client, actor=actor, target=segment.name,
              details={"segment_id": segment.pk})
    transaction.on_commit(lambda: refresh_segment.delay(segment.pk))


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
        from .query.ir import Query

        try:  # the rules, re-resolved now (an RFM segment changes between refreshes)
            q = audience_compile(rules=seg.rules, client=client).query
        except AskError:  # a filter unavailable now: the IR saved with the segment still runs
            q = Query.model_validate(seg.ir)
        today = today or client_today(client)
        cq = compile_query(q, client_id=client.pk, timezone=client.timezone, today=today, limit=SNAPSHOT_CAP)
        select, _sep, _tail = cq.sql.rpartition("\nSETTINGS ")
        params = dict(cq.params, seg_id=seg.pk, seg_version=version)
        limits = {k: v for k, v in clickhouse.READ_SETTINGS.items()
                  if k not in ("readonly", "max_result_rows", "result_overflow_mode")}
        limits.update(_query_settings())
        limits["join_use_nulls"] = 1
        clickhouse.command(
            "INSERT INTO segment_member (client_id, segment_id, version, uuid, member_id) "
            "SELECT {client_id:Int32}, {seg_id:Int64}, {seg_version:UInt32}, uuid, ifNull(member_id, '') "
            f"FROM (\n{select}\n)", params, settings_=limits)
        stats = _version_stats(client.pk, seg.pk, version, prev.version if prev else None)
    except Exception as exc:
        err = exc if isinstance(exc, AskError) else translate_clickhouse_error(exc)
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
            transaction.on_commit(lambda: _drop_versions(client.pk, seg.pk, upto=oldest))
        if seg.webhook_url:
            from .tasks import push_segment_webhook

            transaction.on_commit(lambda: push_segment_webhook.delay(seg.pk, version))
    snap.refresh_from_db()
    return snap


def _version_stats(client_id: int, segment_id: int, version: int, prev: int | None) -> dict:
    p = {"c": client_id, "s": segment_id, "v": version, "p": prev or 0}
    rows = clickhouse.query(
        "SELECT count() AS size, countIf(member_id != '') AS members FROM segment_member "
        "WHERE client_id = {c:Int32} AND segment_id = {s:Int64} AND version = {v:UInt32}", p).rows
    size, members = rows[0]
    entered = left = 0
    if prev is not None:
        entered = _diff_count(p, new="v", old="p")
        left = _diff_count(p, new="p", old="v")
    else:
        entered = size
    return {"size": int(size), "members": int(members), "entered": int(entered), "left": int(left)}


def _diff_sql(new: str, old: str, select: str) -> str:
    # An anti-join between two versions of one segment (LEFT JOIN ... IS NULL, DESIGN.md §5).
    return ("WITH a AS (SELECT uuid, member_id FROM segment_member WHERE client_id = {c:Int32} "
            f"AND segment_id = {{s:Int64}} AND version = {{{new}:UInt32}}), "
            "b AS (SELECT uuid FROM segment_member WHERE client_id = {c:Int32} "
            f"AND segment_id = {{s:Int64}} AND version = {{{old}:UInt32}}) "
            f"SELECT {select} FROM a LEFT JOIN b ON b.uuid = a.uuid WHERE b.uuid IS NULL")


def _diff_count(p: dict, *, new: str, old: str) -> int:
    rows = clickhouse.query(_diff_sql(new, old, "count()"), p, settings_={"join_use_nulls": 1}).rows
    return int(rows[0][0])


# --- reads ----------------------------------------------------------------------------------

def segment_list(*, client: Client):
    return Segment.objects.filter(client=client).select_related("owner").order_by("name", "id")


def segment_get(*, client: Client, pk) -> Segment:
    try:
        return Segment.objects.select_related("client", "owner", "periodic_task").get(client=client, pk=int(pk))
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404


def snapshot_list(*, client: Client, segment: Segment):
    return SegmentSnapshot.objects.filter(client=client, segment=segment).order_by("-version")


def latest_snapshot(*, client: Client, segment: Segment) -> SegmentSnapshot | None:
    return (snapshot_list(client=client, segment=segment).filter(status=SegmentSnapshot.Status.SUCCEEDED)
            .first())


def segment_members(*, client: Client, segment: Segment) -> Iterator[tuple[str, str]]:
    """(uuid, member_id) of the latest successful snapshot, in uuid order, paged under the hood."""
    if segment.client_id != client.pk:
        raise Http404
    snap = latest_snapshot(client=client, segment=segment)
    if snap is None:
        return iter(())
    return _iter_version(client.pk, segment.pk, snap.version)


def _iter_version(client_id: int, segment_id: int, version: int) -> Iterator[tuple[str, str]]:
    after = "00000000-0000-0000-0000-000000000000"
    first = True
    while True:
        rows = clickhouse.query(
            "SELECT uuid, member_id FROM segment_member WHERE client_id = {c:Int32} AND segment_id = {s:Int64} "
            "AND version = {v:UInt32} AND (uuid > {after:UUID} OR {first:UInt8}) ORDER BY uuid LIMIT {n:UInt32}",
            {"c": client_id, "s": segment_id, "v": version, "after": after, "first": int(first), "n": MEMBERS_PAGE},
            settings_={"max_result_rows": MEMBERS_PAGE + 1}).rows
        for u, m in rows:
            yield str(u), m or ""
        if len(rows) < MEMBERS_PAGE:
            return
        after, first = str(rows[-1][0]), False


def segment_changes(*, client: Client, segment: Segment, kind: str, page: int = 1, page_size: int = 50,
                    membership=None) -> dict:
    """Who entered (or left) in the latest refresh versus the one before, one page at a time."""
    snaps = list(snapshot_list(client=client, segment=segment).filter(status=SegmentSnapshot.Status.SUCCEEDED)[:2])
    if kind not in ("entered", "left"):
        raise AskError(_("entered 또는 left 중 하나를 고르세요."), code="kind")
    if not snaps:
        return {"kind": kind, "rows": [], "total": 0, "page": page, "page_size": page_size, "version": None}
    cur = snaps[0].version
    prev = snaps[1].version if len(snaps) > 1 else None
    total = getattr(snaps[0], kind)
    if prev is None:
        if kind == "left":
            return {"kind": kind, "rows": [], "total": 0, "page": page, "page_size": page_size, "version": cur}
        sql = ("SELECT uuid, member_id FROM segment_member WHERE client_id = {c:Int32} AND segment_id = {s:Int64} "
               "AND version = {v:UInt32} ORDER BY uuid LIMIT {n:UInt32} OFFSET {o:UInt32}")
    else:
        new, old = ("v", "p") if kind == "entered" else ("p", "v")
        sql = _diff_sql(new, old, "a.uuid, a.member_id") + " ORDER BY a.uuid LIMIT {n:UInt32} OFFSET {o:UInt32}"
    rows = clickhouse.query(sql, {"c": client.pk, "s": segment.pk, "v": cur, "p": prev or 0, "n": page_size,
                                  "o": (page - 1) * page_size}, settings_={"join_use_nulls": 1}).rows
    pii = can_see_pii(membership)
    return {"kind": kind, "version": cur, "previous_version": prev, "total": int(total), "page": page,
            "page_size": page_size,
            "rows": [{"uuid": str(u), "member_id": (m if pii else mask_member_id(m))} for u, m in rows]}


# --- export ---------------------------------------------------------------------------------

def segment_export(*, segment: Segment, membership, actor=None, fmt: str = "csv") -> tuple[Iterator[bytes], str]:
    """A streamed download of the latest snapshot (masked unless the role allows), audited."""
    if fmt not in ("csv", "json"):
        raise AskError(_("형식은 csv 또는 json이어야 합니다."), code="format")
    client = segment.client
    snap = latest_snapshot(client=client, segment=segment)
    if snap is None:
        raise AskError(_("아직 갱신된 적이 없는 세그먼트입니다. 먼저 '지금 갱신'을 눌러 주세요."), code="no_snapshot",
                       status=409)
    pii = can_see_pii(membership)
    audit_log(action="segment.export", client=client, actor=actor, target=segment.name,
              details={"segment_id": segment.pk, "version": snap.version, "format": fmt, "rows": snap.size,
                       "pii": pii})
    member = ("member_id" if pii else
              "if(member_id = '', '', if(lengthUTF8(member_id) <= 4, concat(substringUTF8(member_id, 1, 1), "
              "repeat('*', toUInt64(lengthUTF8(member_id) - 1))), concat(substringUTF8(member_id, 1, 2), "
              "repeat('*', toUInt64(lengthUTF8(member_id) - 4)), substringUTF8(member_id, -2))))")
    sql = (f"SELECT toString(uuid) AS uuid, {member} AS member_id FROM segment_member "
           "WHERE client_id = {c:Int32} AND segment_id = {s:Int64} AND version = {v:UInt32} ORDER BY uuid")
    params = {"c": client.pk, "s": segment.pk, "v": snap.version}
    if fmt == "csv":
        return clickhouse.stream([(sql, params)], fmt="CSVWithNames"), "text/csv; charset=utf-8"
    return _json_array(clickhouse.stream([(sql, params)], fmt="JSONEachRow")), "application/json"


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
    """POST the snapshot to the segment's webhook URL, signed. Raises WebhookFailed to be retried."""
    import httpx

    seg = Segment.objects.select_related("client").get(pk=segment_id)
    if not seg.webhook_url:
        return 0
    client = seg.client
    snap = latest_snapshot(client=client, segment=seg) if version is None else \
        SegmentSnapshot.objects.filter(segment=seg, version=version, status=SegmentSnapshot.Status.SUCCEEDED).first()
    if snap is None:
        return 0
    members = []
    for i, (u, m) in enumerate(_iter_version(client.pk, seg.pk, snap.version)):
        if i >= WEBHOOK_MEMBERS:
            break
        members.append({"uuid": u, "member_id": m})
    payload = {"event": "segment.refreshed", "client_id": client.pk, "segment_id": seg.pk, "segment": seg.name,
               "version": snap.version, "size": snap.size, "entered": snap.entered, "left": snap.left,
               "members": members, "truncated": snap.size > len(members),
               "refreshed_at": snap.created_at.isoformat()}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = signed_headers(seg.webhook_secret, body)
    try:
        resp = httpx.post(seg.webhook_url, content=body, headers=headers, timeout=10.0)
    except httpx.HTTPError as exc:
        audit_log(action="segment.webhook", client=client, target=seg.name,
                  details={"segment_id": seg.pk, "version": snap.version, "ok": False, "error": str(exc)[:200]})
        raise WebhookFailed(str(exc)) from exc
    ok = 200 <= resp.status_code < 300
    audit_log(action="segment.webhook", client=client, target=seg.name,
              details={"segment_id": seg.pk, "version": snap.version, "ok": ok, "status": resp.status_code,
                       "members": len(members)})
    if not ok:
        raise WebhookFailed(f"HTTP {resp.status_code}")
    return len(members)


def segment_to_dict(seg: Segment, *, snapshot: SegmentSnapshot | None = None) -> dict:
    return {"id": seg.pk, "name": seg.name, "description": seg.description, "rules": seg.rules, "ir": seg.ir,
            "text": describe(seg.rules), "schedule": seg.schedule, "webhook_url": seg.webhook_url,
            "latest_version": seg.latest_version, "owner": getattr(seg.owner, "email", None),
            "created_at": seg.created_at.isoformat(), "updated_at": seg.updated_at.isoformat(),
            "latest": snapshot_to_dict(snapshot) if snapshot else None}


def snapshot_to_dict(s: SegmentSnapshot) -> dict:
    return {"version": s.version, "status": s.status, "size": s.size, "members": s.members, "entered": s.entered,
            "left": s.left, "created_at": s.created_at.isoformat(), "duration_ms": s.duration_ms, "error": s.error,
            "trigger": s.trigger,
            "window": {"start": s.window_start.isoformat(), "end": s.window_end.isoformat()} if s.window_start else None}
