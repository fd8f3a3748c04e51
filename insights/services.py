"""Asking questions and running saved ones: the Django side of insights/query/ (DESIGN.md §8).

``ask_question`` is what the API, the page and ``manage.py ask`` call; the pure pipeline in
``insights.query.pipeline`` does engine -> IR -> SQL -> rows -> summary. Saved queries and their
runs are written here, one transaction per state change, each run audited.
"""
from __future__ import annotations

import json
import logging
import time
import uuid as uuid_mod
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from events import clickhouse
from tenants.models import Client
from tenants.services import audit_log
from untitle.beat import cron_task_sync

from . import selectors
from .models import QueryRun, SavedQuery

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
# Most rows an answer carries (kind A: every matching uuid up to this cap, then truncated=true).
RESULT_CAP = 100_000
# Rows a QueryRun keeps in Postgres; a larger audience is kept whole in a ClickHouse table.
RUN_INLINE_ROWS = 1_000


# A "running" run older than this was orphaned by a dead worker (queries stop after 20 s).
STALE_RUN = timedelta(minutes=10)
# Large audiences kept whole in ClickHouse per saved query (older ones are dropped).
KEPT_RESULT_TABLES = 3


def run_inline_rows() -> int:
    return int(getattr(settings, "INSIGHTS_RUN_INLINE_ROWS", RUN_INLINE_ROWS))
ENGINES = ("offline", "gemini")


class AskError(Exception):
    """A problem the asker can act on: the message is user-facing (Korean), ``status`` the HTTP code."""

    def __init__(self, message: str, *, code: str = "invalid", status: int = 400, detail: str = ""):
        super().__init__(message)
        self.message, self.code, self.status, self.detail = message, code, status, detail


# --- engines --------------------------------------------------------------------------------

class _FallbackEngine:
    """Gemini first; when it is unreachable (network, timeout, quota) the offline parser answers.

    ``name`` tells afterwards which one actually answered.
    """

    def __init__(self, primary, fallback):
        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.fallback_reason: str | None = None

    def to_query(self, question: str, **kwargs):
        from .query.llm import EngineUnavailable

        try:
            q = self.primary.to_query(question, **kwargs)
            self.name = self.primary.name
            return q
        except EngineUnavailable as exc:
            log.warning("gemini unavailable, answering offline: %s", exc)
            self.fallback_reason = getattr(exc, "message", "") or str(exc)[:300]
            self.name = self.fallback.name
            return self.fallback.to_query(question, **kwargs)


def default_engine_name() -> str:
    return "gemini" if settings.GEMINI_API_KEY else "offline"


def engine_for(name: str | None):
    from .query.pipeline import OfflineEngine

    name = (name or default_engine_name()).strip().lower()
    if name not in ENGINES:
        raise AskError(_("알 수 없는 엔진입니다: %(name)s (offline 또는 gemini)") % {"name": name}, code="engine")
    if name == "offline":
        return OfflineEngine()
    if not settings.GEMINI_API_KEY:
        raise AskError(_("Gemini API 키(GEMINI_API_KEY)가 설정되어 있지 않습니다. 오프라인 엔진을 사용해 주세요."),
                       code="engine")
    from .query.llm import GeminiEngine

    gemini = GeminiEngine(api_key=settings.GEMINI_API_KEY, model=settings.GEMINI_MODEL,
                          timeout=float(getattr(settings, "GEMINI_TIMEOUT", 20)))
    return _FallbackEngine(gemini, OfflineEngine())


# --- running SQL ----------------------------------------------------------------------------

def _query_settings() -> dict:
    # A deployment (or a test) may tighten the read limits further, never loosen readonly.
    extra = dict(getattr(settings, "INSIGHTS_QUERY_SETTINGS", {}) or {})
    extra.pop("readonly", None)
    return extra


def translate_clickhouse_error(exc: Exception) -> AskError:
    text = str(exc)
    if isinstance(exc, clickhouse.ClickHouseUnavailable):
        return AskError(_("데이터 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
                        code="unavailable", status=503, detail=text[:500])
    if "TIMEOUT_EXCEEDED" in text or "Code: 159" in text:
        return AskError(_("질문 실행이 시간 제한을 넘어 중단되었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code="timeout", status=422, detail=text[:500])
    if "MEMORY_LIMIT_EXCEEDED" in text or "Code: 241" in text:
        return AskError(_("질문 실행에 필요한 메모리가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code="memory", status=422, detail=text[:500])
    if "TOO_MANY_ROWS" in text or "TOO_MANY_BYTES" in text:
        return AskError(_("읽어야 할 데이터가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code="too_much", status=422, detail=text[:500])
    log.exception("query failed", exc_info=exc)
    return AskError(_("질문을 실행하지 못했습니다. 잠시 후 다시 시도해 주세요."), code="query_failed",
                    status=500, detail=text[:500])


def _run(sql: str, params: dict):
    try:
        return clickhouse.query(sql, params, settings_=_query_settings())
    except AskError:
        raise
    except Exception as exc:
        raise translate_clickhouse_error(exc) from exc


class _MeteredRun:
    """The pipeline's ``run`` that also remembers how many rows ClickHouse read (for run history)."""

    def __init__(self):
        self.rows_read = 0

    def __call__(self, sql: str, params: dict):
        rows = _run(sql, params)
        self.rows_read += int(getattr(rows, "rows_read", 0) or 0)
        return rows


# --- JSON -----------------------------------------------------------------------------------

def jsonable(value: Any) -> Any:
    """UUIDs, dates and decimals as the strings/numbers a JSON reader expects."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, uuid_mod.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if is_dataclass(value):
        return jsonable(asdict(value))
    return str(value)


def _window_dict(window) -> dict | None:
    if window is None:
        return None
    if isinstance(window, dict):
        return {"start": jsonable(window.get("start")), "end": jsonable(window.get("end"))}
    out = {"start": window.start.isoformat(), "end": window.end.isoformat()}
    label = getattr(window, "label", "")
    if label:
        out["label"] = label
    return out


def answer_to_dict(ans) -> dict:
    """The DESIGN §6 shape: kind, sql, params, columns, rows, window, summary, ir (+ extras)."""
    ir = ans.ir
    if hasattr(ir, "model_dump"):
        ir = ir.model_dump(mode="json", exclude_none=True)
    return {
        "kind": ans.kind,
        "sql": ans.sql or "",
        "params": jsonable(ans.params or {}),
        "columns": list(ans.columns or []),
        "rows": jsonable(list(ans.rows or [])),
        "window": _window_dict(ans.window),
        "summary": ans.summary or "",
        "ir": jsonable(ir or {}),
        "truncated": bool(getattr(ans, "truncated", False)),
        "engine": getattr(ans, "engine", ""),
        "reason": getattr(ans, "reason", None),
        "suggestion": getattr(ans, "suggestion", None),
        "elapsed_ms": round(float(getattr(ans, "elapsed_ms", 0) or 0), 1),
    }


# --- asking ---------------------------------------------------------------------------------

def client_today(client: Client) -> date:
    return dj_timezone.now().astimezone(client.tzinfo).date()


def validate_question(question: Any) -> str:
    if not isinstance(question, str) or not question.strip():
        raise AskError(_("질문을 입력해 주세요."), code="empty")
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION_CHARS:
        raise AskError(_("질문이 너무 깁니다. %(n)d자 이하로 줄여 주세요.") % {"n": MAX_QUESTION_CHARS}, code="too_long")
    return question


# JSON nesting (each group/not adds about two levels); far beyond any rule builder, well short of
# the recursion limit a hostile body could otherwise hit inside validation or compilation.
MAX_IR_DEPTH = 48


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_IR_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def parse_ir(ir: Any):
    """A user-edited or saved IR, validated by the IR's own rules (the compiler's input contract)."""
    from pydantic import ValidationError

    from .query.ir import Query

    if isinstance(ir, str):
        try:
            ir = json.loads(ir)
        except ValueError:
            raise AskError(_("규칙(JSON)을 읽을 수 없습니다."), code="invalid_ir")
    if not isinstance(ir, dict):
        raise AskError(_("규칙(JSON)은 객체여야 합니다."), code="invalid_ir")
    if _depth(ir) > MAX_IR_DEPTH:
        raise AskError(_("규칙이 너무 깊게 중첩되어 있습니다 (최대 %(n)d단계).") % {"n": MAX_IR_DEPTH // 2},
                       code="invalid_ir")
    try:
        return Query.model_validate(ir)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'ir'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise AskError(_("규칙이 올바르지 않습니다: %(problems)s") % {"problems": problems}, code="invalid_ir",
                       detail=problems)


def parse_today(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AskError(_("날짜 형식이 올바르지 않습니다: %(v)s (YYYY-MM-DD)") % {"v": value}, code="today")


def ask_question(*, client: Client, question: str = "", engine: str | None = None, today: date | str | None = None,
                 user=None, ir: Any = None, limit: int = RESULT_CAP) -> dict:
    """Answer one question (or re-run an edited IR) for one client. Reads only; never saves."""
    from .query.pipeline import answer, answer_query

    today = parse_today(today) or client_today(client)
    limit = max(1, min(int(limit), RESULT_CAP))
    meter = _MeteredRun()
    engine_obj = None
    if ir is not None:
        query = parse_ir(ir)
        question = (question or "").strip()[:MAX_QUESTION_CHARS]
    else:
        question = validate_question(question)
        engine_obj = engine_for(engine)
    try:
        if engine_obj is None:
            ans = answer_query(query, client_id=client.pk, timezone=client.timezone, today=today, run=meter,
                               limit=limit, engine="rules")
        else:
            # Only the model needs the shop's vocabulary; the offline parser reads ids literally.
            context = selectors.ask_context(client=client) if isinstance(engine_obj, _FallbackEngine) else {}
            ans = answer(question, client_id=client.pk, timezone=client.timezone, today=today,
                         engine=engine_obj, run=meter, limit=limit, context=context)
    except AskError:
        raise
    except clickhouse.ClickHouseUnavailable as exc:
        raise translate_clickhouse_error(exc) from exc
    out = answer_to_dict(ans)
    if engine_obj is not None:
        # The wrapper knows whether Gemini really answered or the offline parser stood in.
        out["engine"] = getattr(engine_obj, "name", out["engine"]) or out["engine"]
        if getattr(engine_obj, "fallback_reason", None):
            out["engine_fallback"] = engine_obj.fallback_reason
    out["question"] = question
    out["rows_read"] = meter.rows_read
    return out


def question_to_query(*, client: Client, question: str, engine: str | None = None, today: date | None = None):
    """The IR a question becomes, without running it (saving a question stores its rules)."""
    from pydantic import ValidationError

    question = validate_question(question)
    engine_obj = engine_for(engine)
    try:
        return engine_obj.to_query(question, today=today or client_today(client), timezone=client.timezone,
                                   context={})
    except ValidationError as exc:
        raise AskError(_("질문을 올바른 조건으로 바꾸지 못했습니다."), code="invalid_ir", detail=str(exc)[:500])


def member_ids_for(*, client: Client, uuids: list) -> dict[str, str]:
    """Cafe24 member ids of the given visitors, where they ever logged in (for one result page)."""
    ids = []
    for u in uuids[:1000]:
        try:
            ids.append(str(uuid_mod.UUID(str(u))))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = _run(
        "SELECT uuid, argMax(login_id, created_at) AS member_id FROM event "
        "WHERE client_id = {client_id:Int32} AND event_type IN (10, 11) AND uuid IN {uuids:Array(UUID)} "
        "AND login_id IS NOT NULL "
        "GROUP BY uuid",
        {"client_id": client.pk, "uuids": ids},
    )
    return {str(u): m for u, m in rows.rows if m}


# --- raw SQL (power users) ------------------------------------------------------------------

def run_raw_sql(*, client: Client, sql: str, user=None, max_limit: int = 10_000) -> dict:
    """Raw SQL through the AST guard, which pins every table to this client, then read-only."""
    from .query.guard import GuardError, guard_sql

    if not isinstance(sql, str) or not sql.strip():
        raise AskError(_("SQL을 입력해 주세요."), code="empty")
    if len(sql) > 20_000:
        raise AskError(_("SQL이 너무 깁니다."), code="too_long")
    try:
        safe_sql, params = guard_sql(sql, client_id=client.pk, max_limit=max_limit)
    except GuardError as exc:
        raise AskError(exc.message, code="guard", detail=exc.detail)
    started = time.monotonic()
    rows = _run(safe_sql, params)
    return {
        "sql": safe_sql, "params": jsonable(params), "columns": rows.columns, "rows": jsonable(rows.rows),
        "rows_read": rows.rows_read, "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }


# --- saved queries --------------------------------------------------------------------------

def validate_schedule(schedule: str | None) -> str:
    """Five-field cron, checked by Celery's own parser so beat will accept it."""
    from celery.schedules import crontab

    schedule = " ".join((schedule or "").split())
    if not schedule:
        return ""
    fields = schedule.split(" ")
    if len(fields) != 5:
        raise AskError(_("일정은 cron 형식(분 시 일 월 요일, 예: '0 9 * * 1')으로 입력해 주세요."), code="schedule")
    try:
        crontab(minute=fields[0], hour=fields[1], day_of_month=fields[2], month_of_year=fields[3],
                day_of_week=fields[4])
    except Exception:
        raise AskError(_("일정(cron)이 올바르지 않습니다: %(s)s") % {"s": schedule}, code="schedule")
    return schedule


def _sync_schedule(saved_query: SavedQuery) -> None:
    """Keep the beat PeriodicTask in step with the saved query (caller holds the transaction)."""
    task = cron_task_sync(
        current=saved_query.periodic_task, name=f"saved-query-{saved_query.pk}",
        task="insights.tasks.run_scheduled_query", cron=saved_query.schedule,
        timezone=saved_query.client.timezone, args=[saved_query.pk],
        description=f"{saved_query.client.slug}: {saved_query.name}")
    if saved_query.periodic_task_id != (task.pk if task else None):
        saved_query.periodic_task = task
        saved_query.save(update_fields=["periodic_task"])


def _clean_name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise AskError(_("이름을 입력해 주세요."), code="name")
    if len(name) > 120:
        raise AskError(_("이름은 120자 이하로 입력해 주세요."), code="name")
    return name


def _ir_for_saving(*, client: Client, ir: Any, question: str, engine: str | None) -> tuple[dict, str]:
    if ir is None:
        if not question:
            raise AskError(_("질문이나 규칙 중 하나는 있어야 합니다."), code="invalid_ir")
        query = question_to_query(client=client, question=question, engine=engine)
    else:
        query = parse_ir(ir)
    if query.kind == "C":
        raise AskError(_("답할 수 없는 질문(C)은 저장할 수 없습니다. 질문을 바꿔 다시 시도해 주세요."), code="kind_c")
    return query.model_dump(mode="json", exclude_none=True), question


def saved_query_create(*, client: Client, name: str, question: str = "", ir: Any = None, schedule: str = "",
                       owner=None, engine: str | None = None) -> SavedQuery:
    name = _clean_name(name)
    question = (question or "").strip()[:MAX_QUESTION_CHARS]
    schedule = validate_schedule(schedule)
    ir_dict, question = _ir_for_saving(client=client, ir=ir, question=question, engine=engine)
    try:
        with transaction.atomic():
            sq = SavedQuery.objects.create(client=client, name=name, question=question, ir=ir_dict,
                                           schedule=schedule, owner=owner if getattr(owner, "pk", None) else None)
            _sync_schedule(sq)
            audit_log(action="query.create", client=client, actor=owner, target=name,
                      details={"saved_query_id": sq.pk, "schedule": schedule})
    except IntegrityError:
        raise AskError(_("같은 이름의 저장된 질문이 이미 있습니다."), code="duplicate", status=409)
    return sq


def saved_query_update(*, saved_query: SavedQuery, actor=None, name: str | None = None, question: str | None = None,
                       ir: Any = None, schedule: str | None = None) -> SavedQuery:
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
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
            audit_log(action="query.update", client=sq.client, actor=actor, target=sq.name,
                      details={"saved_query_id": sq.pk, "fields": sorted(changes)})
    except IntegrityError:
        raise AskError(_("같은 이름의 저장된 질문이 이미 있습니다."), code="duplicate", status=409)
    return sq


def saved_query_delete(*, saved_query: SavedQuery, actor=None) -> None:
    tables = list(saved_query.runs.exclude(result_table="").values_list("result_table", flat=True))
    with transaction.atomic():
        task = saved_query.periodic_task
        audit_log(action="query.delete", client=saved_query.client, actor=actor, target=saved_query.name,
                  details={"saved_query_id": saved_query.pk})
        saved_query.delete()
        if task is not None:
            task.delete()
        # ClickHouse is not transactional: drop the kept audiences only once the rows are gone.
        transaction.on_commit(lambda: _drop_result_tables(tables))


def _result_table_name(run_id: int) -> str:
    return f"query_result_{int(run_id)}"


def _drop_result_tables(tables: list[str]) -> None:
    for t in tables:
        if t.startswith("query_result_") and t[len("query_result_"):].isdigit():
            try:
                clickhouse.command(f"DROP TABLE IF EXISTS {t}")
            except Exception:
                log.exception("could not drop %s", t)


# --- runs -----------------------------------------------------------------------------------

def query_run_start(*, saved_query: SavedQuery, user=None, trigger: str = QueryRun.Trigger.MANUAL,
                    enqueue: bool = True) -> QueryRun:
    """Queue a run; the Celery worker picks it up once this transaction commits."""
    with transaction.atomic():
        run = QueryRun.objects.create(client=saved_query.client, saved_query=saved_query, trigger=trigger,
                                      requested_by=user if getattr(user, "pk", None) else None)
        if enqueue:
            from .tasks import run_saved_query

            transaction.on_commit(lambda: run_saved_query.delay(run.pk))
    return run


def _set_progress(run_id: int, progress: int) -> None:
    QueryRun.objects.filter(pk=run_id, status=QueryRun.Status.RUNNING).update(progress=progress)


def _store_audience(run_id: int, sql: str, params: dict) -> str:
    """Keep a large audience whole in ClickHouse; the name comes from the run id alone."""
    table = _result_table_name(run_id)
    limits = {k: v for k, v in clickhouse.READ_SETTINGS.items() if k not in ("readonly", "max_result_rows",
                                                                              "result_overflow_mode")}
    limits.update(_query_settings())
    clickhouse.command(f"DROP TABLE IF EXISTS {table}")
    clickhouse.command(f"CREATE TABLE {table} ENGINE = MergeTree ORDER BY uuid AS {sql}", params,
                       settings_=limits)
    return table


def _finish(run: QueryRun, *, status: str, fields: dict, details: dict) -> QueryRun:
    with transaction.atomic():
        QueryRun.objects.filter(pk=run.pk).update(status=status, finished_at=dj_timezone.now(),
                                                  progress=100, **fields)
        audit_log(action="query.run", client=run.client, actor=run.requested_by, target=run.saved_query.name,
                  details={"run_id": run.pk, "saved_query_id": run.saved_query_id, "status": status,
                           "trigger": run.trigger, **details})
        if fields.get("result_table"):
            _retire_old_tables(run)
    run.refresh_from_db()
    return run


def _retire_old_tables(run: QueryRun) -> None:
    """A scheduled audience would otherwise leave one ClickHouse table per run forever: keep the
    newest few; older runs keep their first rows in Postgres."""
    keep = int(getattr(settings, "INSIGHTS_KEPT_RESULT_TABLES", KEPT_RESULT_TABLES))
    old = list(QueryRun.objects.filter(saved_query_id=run.saved_query_id).exclude(result_table="")
               .order_by("-created_at", "-id").values_list("pk", "result_table")[keep:])
    if old:
        QueryRun.objects.filter(pk__in=[pk for pk, _t in old]).update(result_table="")
        transaction.on_commit(lambda: _drop_result_tables([t for _pk, t in old]))


def query_run_execute(*, run_id: int) -> QueryRun:
    """Run a queued QueryRun to the end. Idempotent: a run that already started is left alone."""
    from .query.pipeline import answer_query

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
        meter = _MeteredRun()
        ans = answer_query(query, client_id=client.pk, timezone=client.timezone, today=client_today(client),
                           run=meter, limit=RESULT_CAP)
        if ans.kind == "C":
            raise AskError(ans.reason or ans.summary or _("이 질문에는 답할 수 없습니다."), code="kind_c")
        _set_progress(run.pk, 80)
        data = answer_to_dict(ans)
        rows = data["rows"]
        table = ""
        inline = run_inline_rows()
        if data["kind"] == "A" and len(rows) > inline:
            try:
                table = _store_audience(run.pk, ans.sql, ans.params)
            except Exception as exc:
                raise translate_clickhouse_error(exc) from exc
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


def _local_text(run: QueryRun, value) -> str | None:
    # Shown as the shop's wall-clock time, the same way the server-rendered history shows it.
    return value.astimezone(run.client.tzinfo).strftime("%Y-%m-%d %H:%M:%S") if value else None


def run_to_dict(run: QueryRun) -> dict:
    return {
        "started_at_local": _local_text(run, run.started_at),
        "finished_at_local": _local_text(run, run.finished_at),
        "id": run.pk, "saved_query": run.saved_query_id, "status": run.status,
        "status_label": run.get_status_display(), "progress": run.progress, "trigger": run.trigger,
        "created_at": jsonable(run.created_at), "started_at": jsonable(run.started_at),
        "finished_at": jsonable(run.finished_at), "rows_read": run.rows_read, "row_count": run.row_count,
        "duration_ms": run.duration_ms, "error": run.error, "kind": run.kind, "summary": run.summary,
        "window": ({"start": run.window_start.isoformat(), "end": run.window_end.isoformat()}
                   if run.window_start and run.window_end else None),
        "result_table": run.result_table,
        "requested_by": run.requested_by.get_username() if run.requested_by_id else None,
    }


def saved_query_to_dict(sq: SavedQuery, *, last_run: QueryRun | None = None) -> dict:
    return {
        "id": sq.pk, "name": sq.name, "question": sq.question, "ir": sq.ir, "schedule": sq.schedule,
        "owner": sq.owner.get_username() if sq.owner_id else None,
        "created_at": jsonable(sq.created_at), "updated_at": jsonable(sq.updated_at),
        "last_run": run_to_dict(last_run) if last_run else None,
    }
