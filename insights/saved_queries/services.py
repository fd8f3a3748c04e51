"""Saved questions and their runs: create / update / delete (one transaction each, audited, the
beat schedule kept in step), runs queued, executed on the worker and scheduled by beat, and the
ClickHouse tables that keep a large run's audience whole (the newest few per question)."""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from insights.tasks import run_saved_query as run_saved_query_task
from tenants.facade import audit_log
from tenants.models import Client
from untitle import beat

from .. import store
from ..ask.services import MAX_QUESTION_CHARS, RESULT_CAP, parse_ir, question_to_query
from ..audit import AuditAction
from ..errors import AskError, AskErrorCode
from ..models import QueryRun, SavedQuery
from ..serializers import answer_to_dict

log = logging.getLogger(__name__)

# A "running" run older than this was orphaned by a dead worker (queries stop after 20 s).
STALE_RUN = timedelta(minutes=10)


def validate_schedule(schedule: str | None) -> str:
    """Five-field cron beat accepts ("" = none); a bad one is the asker's ``AskError`` (code schedule)."""
    try:
        return beat.validate_schedule(schedule)
    except beat.ScheduleError as exc:
        raise AskError(exc.message, code=AskErrorCode.SCHEDULE, fields=exc.fields) from exc


def _sync_schedule(saved_query: SavedQuery) -> None:
    """Keep the beat PeriodicTask in step with the saved query (caller holds the transaction)."""
    task = beat.cron_task_sync(
        current=saved_query.periodic_task, name=f"saved-query-{saved_query.pk}",
        task="insights.tasks.run_scheduled_query", cron=saved_query.schedule,
        timezone=saved_query.client.timezone, args=[saved_query.pk],
        description=f"{saved_query.client.slug}: {saved_query.name}")
    if saved_query.periodic_task_id != (task.pk if task else None):
        saved_query.periodic_task = task
        saved_query.save(update_fields=["periodic_task"])


def clean_name(name: Any) -> str:
    """A saved question's or segment's name: spaces collapsed, 1-120 characters."""
    name = " ".join(str(name or "").split())
    if not name:
        raise AskError(_("이름을 입력해 주세요."), code=AskErrorCode.NAME)
    if len(name) > 120:
        raise AskError(_("이름은 120자 이하로 입력해 주세요."), code=AskErrorCode.NAME)
    return name


def _ir_for_saving(*, client: Client, ir: Any, question: str, engine: str | None) -> tuple[dict, str]:
    if ir is None:
        if not question:
            raise AskError(_("질문이나 규칙 중 하나는 있어야 합니다."), code=AskErrorCode.INVALID_IR)
        query = question_to_query(client=client, question=question, engine=engine)
    else:
        query = parse_ir(ir)
    if query.kind == "C":
        raise AskError(_("답할 수 없는 질문(C)은 저장할 수 없습니다. 질문을 바꿔 다시 시도해 주세요."),
                       code=AskErrorCode.KIND_C)
    return query.model_dump(mode="json", exclude_none=True), question


def _duplicate() -> AskError:
    return AskError(_("같은 이름의 저장된 질문이 이미 있습니다."), code=AskErrorCode.DUPLICATE, status=409)


def saved_query_create(*, client: Client, name: str, question: str = "", ir: Any = None, schedule: str = "",
                       owner=None, engine: str | None = None) -> SavedQuery:
    name = clean_name(name)
    question = (question or "").strip()[:MAX_QUESTION_CHARS]
    schedule = validate_schedule(schedule)
    ir_dict, question = _ir_for_saving(client=client, ir=ir, question=question, engine=engine)
    try:
        with transaction.atomic():
            sq = SavedQuery.objects.create(client=client, name=name, question=question, ir=ir_dict,
                                           schedule=schedule, owner=owner if getattr(owner, "pk", None) else None)
            _sync_schedule(sq)
            audit_log(action=AuditAction.QUERY_CREATE, client=client, actor=owner, target=name,
                      details={"saved_query_id": sq.pk, "schedule": schedule})
    except IntegrityError:
        raise _duplicate()
    return sq


def saved_query_update(*, saved_query: SavedQuery, actor=None, name: str | None = None, question: str | None = None,
                       ir: Any = None, schedule: str | None = None) -> SavedQuery:
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if question is not None:
        changes["question"] = question.strip()[:MAX_QUESTION_CHARS]
    if ir is not None:
        changes["ir"], _q = _ir_for_saving(client=saved_query.client, ir=ir, question="", engine=None)
    if schedule is not None:
        changes["schedule"] = validate_schedule(schedule)
    try:
        with transaction.atomic():
            sq = SavedQuery.objects.select_for_update().get(pk=saved_query.pk, client=saved_query.client)
            for k, v in changes.items():
                setattr(sq, k, v)
            sq.save()
            _sync_schedule(sq)
            audit_log(action=AuditAction.QUERY_UPDATE, client=sq.client, actor=actor, target=sq.name,
                      details={"saved_query_id": sq.pk, "fields": sorted(changes)})
    except IntegrityError:
        raise _duplicate()
    return sq


def saved_query_delete(*, saved_query: SavedQuery, actor=None) -> None:
    tables = list(saved_query.runs.exclude(result_table="").values_list("result_table", flat=True))
    with transaction.atomic():
        task = saved_query.periodic_task
        audit_log(action=AuditAction.QUERY_DELETE, client=saved_query.client, actor=actor, target=saved_query.name,
                  details={"saved_query_id": saved_query.pk})
        saved_query.delete()
        if task is not None:
            task.delete()
        # ClickHouse is not transactional: drop the kept audiences only once the rows are gone.
        transaction.on_commit(lambda: store.result_tables_drop(tables))


# --- runs -----------------------------------------------------------------------------------

def query_run_start(*, saved_query: SavedQuery, user=None, trigger: str = QueryRun.Trigger.MANUAL,
                    enqueue: bool = True) -> QueryRun:
    """Queue a run; the Celery worker picks it up once this transaction commits."""
    with transaction.atomic():
        run = QueryRun.objects.create(client=saved_query.client, saved_query=saved_query, trigger=trigger,
                                      requested_by=user if getattr(user, "pk", None) else None)
        if enqueue:
            transaction.on_commit(lambda: run_saved_query_task.delay(run.pk))
    return run


def _set_progress(run_id: int, progress: int) -> None:
    QueryRun.objects.filter(pk=run_id, status=QueryRun.Status.RUNNING).update(progress=progress)


def _finish(run: QueryRun, *, status: str, fields: dict, details: dict) -> QueryRun:
    with transaction.atomic():
        QueryRun.objects.filter(pk=run.pk).update(status=status, finished_at=dj_timezone.now(),
                                                  progress=100, **fields)
        audit_log(action=AuditAction.QUERY_RUN, client=run.client, actor=run.requested_by,
                  target=run.saved_query.name,
                  details={"run_id": run.pk, "saved_query_id": run.saved_query_id, "status": status,
                           "trigger": run.trigger, **details})
        if fields.get("result_table"):
            _retire_old_tables(run)
    run.refresh_from_db()
    return run


def _retire_old_tables(run: QueryRun) -> None:
    """A scheduled audience would otherwise leave one ClickHouse table per run forever: keep the
    newest few; older runs keep their first rows in Postgres."""
    keep = settings.INSIGHTS_KEPT_RESULT_TABLES
    old = list(QueryRun.objects.filter(saved_query_id=run.saved_query_id).exclude(result_table="")
               .order_by("-created_at", "-id").values_list("pk", "result_table")[keep:])
    if old:
        QueryRun.objects.filter(pk__in=[pk for pk, _t in old]).update(result_table="")
        transaction.on_commit(lambda: store.result_tables_drop([t for _pk, t in old]))


def query_run_execute(*, run_id: int) -> QueryRun:
    """Run a queued QueryRun to the end. Idempotent: a run that already started is left alone."""
    from ..query.pipeline import answer_query

    with transaction.atomic():
        run = (QueryRun.objects.select_for_update(of=("self",))
               .select_related("saved_query", "client", "requested_by").get(pk=run_id))
        # A run left "running" by a worker that died mid-query is redelivered (acks_late); ClickHouse
        # stops any query long before STALE_RUN, so an older "running" run can safely start over.
        stale = (run.status == QueryRun.Status.RUNNING and run.started_at is not None
                 and run.started_at < dj_timezone.now() - STALE_RUN)
        if run.status != QueryRun.Status.QUEUED and not stale:
            return run
        run.status, run.started_at, run.progress = QueryRun.Status.RUNNING, dj_timezone.now(), 10
        run.save(update_fields=["status", "started_at", "progress"])
    client, sq = run.client, run.saved_query
    started = time.monotonic()
    try:
        query = parse_ir(sq.ir)
        _set_progress(run.pk, 30)
        meter = store.MeteredRun()
        ans = answer_query(query, client_id=client.pk, timezone=client.timezone, today=client.today(),
                           run=meter, limit=RESULT_CAP)
        if ans.kind == "C":
            raise AskError(ans.reason or ans.summary or _("이 질문에는 답할 수 없습니다."), code=AskErrorCode.KIND_C)
        _set_progress(run.pk, 80)
        data = answer_to_dict(ans)
        rows = data["rows"]
        table = ""
        inline = settings.INSIGHTS_RUN_INLINE_ROWS
        if data["kind"] == "A" and len(rows) > inline:
            table = store.result_table_create(run_id=run.pk, sql=ans.sql, params=ans.params)
        window = ans.window
        result = {"columns": data["columns"], "rows": rows[:inline], "truncated": data["truncated"],
                  "window": data["window"], "sql": data["sql"], "params": data["params"]}
        rows_read = meter.rows_read
        duration = int((time.monotonic() - started) * 1000)
        return _finish(run, status=QueryRun.Status.SUCCEEDED, fields=dict(
            rows_read=rows_read, row_count=len(rows), duration_ms=duration, kind=data["kind"],
            summary=data["summary"], window_start=getattr(window, "start", None),
            window_end=getattr(window, "end", None), result=result, result_table=table, error="",
        ), details={"rows": len(rows), "rows_read": rows_read, "duration_ms": duration})
    except AskError as exc:
        message = exc.message
        detail = exc.detail
    except Exception as exc:  # the run must end failed, never stay "running"
        log.exception("query run %s failed", run.pk)
        message, detail = _("질문을 실행하지 못했습니다. 잠시 후 다시 시도해 주세요."), str(exc)[:500]
    duration = int((time.monotonic() - started) * 1000)
    return _finish(run, status=QueryRun.Status.FAILED, fields=dict(error=message, duration_ms=duration),
                   details={"error": message, "detail": detail, "duration_ms": duration})


def query_run_scheduled(*, saved_query_id: int) -> QueryRun | None:
    """A beat tick: record a scheduled run and execute it in this worker."""
    sq = SavedQuery.objects.select_related("client").filter(pk=saved_query_id, client__is_active=True).first()
    if sq is None:
        return None
    run = query_run_start(saved_query=sq, trigger=QueryRun.Trigger.SCHEDULE, enqueue=False)
    return query_run_execute(run_id=run.pk)
