"""Asking a question: the Django side of insights/query/ (DESIGN.md §8).

``ask_question`` is what the API, the page and ``manage.py ask`` call; the pure pipeline in
``insights.query.pipeline`` does engine -> IR -> SQL -> rows -> summary. Asking only reads.
Raw SQL (power users) goes through the AST guard first.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from gemini import EngineUnavailable, GeminiConfig
from tenants.models import Client

from .. import store
from ..errors import AskError, AskErrorCode
from ..serializers import answer_to_dict, jsonable
from . import selectors

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
# Most rows an answer carries (kind A: every matching uuid up to this cap, then truncated=true).
RESULT_CAP = 100_000
ENGINES = ("offline", "gemini")


# --- engines --------------------------------------------------------------------------------

class FallbackEngine:
    """Gemini first; when it is unreachable (network, timeout, quota) the offline parser answers.

    ``name`` tells afterwards which one actually answered.
    """

    def __init__(self, primary, fallback):
        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.fallback_reason: str | None = None

    def to_query(self, question: str, **kwargs):
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
    from ..query.pipeline import OfflineEngine

    if name is not None and not isinstance(name, str):
        raise AskError(_("엔진은 offline 또는 gemini 중 하나의 이름(문자열)이어야 합니다."), code=AskErrorCode.ENGINE,
                       fields={"engine": _("offline 또는 gemini")})
    name = (name or default_engine_name()).strip().lower()
    if name not in ENGINES:
        raise AskError(_("알 수 없는 엔진입니다: %(name)s (offline 또는 gemini)") % {"name": name},
                       code=AskErrorCode.ENGINE)
    if name == "offline":
        return OfflineEngine()
    config = GeminiConfig.from_settings(settings)
    if not config.enabled:
        raise AskError(_("Gemini API 키(GEMINI_API_KEY)가 설정되어 있지 않습니다. 오프라인 엔진을 사용해 주세요."),
                       code=AskErrorCode.ENGINE)
    from ..query.llm import GeminiEngine

    gemini = GeminiEngine(api_key=config.api_key, model=config.model, timeout=config.timeout,
                          base_url=config.base_url)
    return FallbackEngine(gemini, OfflineEngine())


# --- checking what the asker sent -----------------------------------------------------------

def validate_question(question: Any) -> str:
    if not isinstance(question, str) or not question.strip():
        raise AskError(_("질문을 입력해 주세요."), code=AskErrorCode.EMPTY)
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION_CHARS:
        raise AskError(_("질문이 너무 깁니다. %(n)d자 이하로 줄여 주세요.") % {"n": MAX_QUESTION_CHARS},
                       code=AskErrorCode.TOO_LONG)
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

    from ..query.ir import Query

    if isinstance(ir, str):
        try:
            ir = json.loads(ir)
        except ValueError:
            raise AskError(_("규칙(JSON)을 읽을 수 없습니다."), code=AskErrorCode.INVALID_IR)
    if not isinstance(ir, dict):
        raise AskError(_("규칙(JSON)은 객체여야 합니다."), code=AskErrorCode.INVALID_IR)
    if _depth(ir) > MAX_IR_DEPTH:
        raise AskError(_("규칙이 너무 깊게 중첩되어 있습니다 (최대 %(n)d단계).") % {"n": MAX_IR_DEPTH // 2},
                       code=AskErrorCode.INVALID_IR)
    try:
        return Query.model_validate(ir)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'ir'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise AskError(_("규칙이 올바르지 않습니다: %(problems)s") % {"problems": problems},
                       code=AskErrorCode.INVALID_IR, detail=problems)


def parse_today(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AskError(_("날짜 형식이 올바르지 않습니다: %(v)s (YYYY-MM-DD)") % {"v": value}, code=AskErrorCode.TODAY)


# --- asking ---------------------------------------------------------------------------------

def ask_question(*, client: Client, question: str = "", engine: str | None = None, today: date | str | None = None,
                 user=None, ir: Any = None, limit: int = RESULT_CAP) -> dict:
    """Answer one question (or re-run an edited IR) for one client. Reads only; never saves."""
    from ..query.pipeline import answer, answer_query

    today = parse_today(today) or client.today()
    limit = max(1, min(int(limit), RESULT_CAP))
    meter = store.MeteredRun()
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
            context = selectors.ask_context(client=client) if isinstance(engine_obj, FallbackEngine) else {}
            ans = answer(question, client_id=client.pk, timezone=client.timezone, today=today,
                         engine=engine_obj, run=meter, limit=limit, context=context)
    except AskError:
        raise
    except store.ClickHouseUnavailable as exc:
        raise store.translate_clickhouse_error(exc) from exc
    out = answer_to_dict(ans)
    if engine_obj is not None:
        # The wrapper knows whether Gemini really answered or the offline parser stood in.
        out["engine"] = getattr(engine_obj, "name", out["engine"]) or out["engine"]
        if getattr(engine_obj, "fallback_reason", None):
            out["engine_fallback"] = engine_obj.fallback_reason
    out["question"] = question
    out["rows_read"] = meter.rows_read if store.rows_read_known() else None   # unknown, never a wrong figure
    return out


def question_to_query(*, client: Client, question: str, engine: str | None = None, today: date | None = None):
    """The IR a question becomes, without running it (saving a question stores its rules)."""
    from pydantic import ValidationError

    question = validate_question(question)
    engine_obj = engine_for(engine)
    try:
        return engine_obj.to_query(question, today=today or client.today(), timezone=client.timezone,
                                   context={})
    except ValidationError as exc:
        raise AskError(_("질문을 올바른 조건으로 바꾸지 못했습니다."), code=AskErrorCode.INVALID_IR,
                       detail=str(exc)[:500])


# --- raw SQL (power users) ------------------------------------------------------------------

def run_raw_sql(*, client: Client, sql: str, user=None, max_limit: int = 10_000) -> dict:
    """Raw SQL through the AST guard, which pins every table to this client, then read-only."""
    from ..query.guard import GuardError, guard_sql

    if not isinstance(sql, str) or not sql.strip():
        raise AskError(_("SQL을 입력해 주세요."), code=AskErrorCode.EMPTY)
    if len(sql) > 20_000:
        raise AskError(_("SQL이 너무 깁니다."), code=AskErrorCode.TOO_LONG)
    try:
        safe_sql, params = guard_sql(sql, client_id=client.pk, max_limit=max_limit)
    except GuardError as exc:
        raise AskError(exc.message, code=AskErrorCode.GUARD, detail=exc.detail)
    started = time.monotonic()
    rows = store.run(safe_sql, params)
    return {
        "sql": safe_sql, "params": jsonable(params), "columns": rows.columns, "rows": jsonable(rows.rows),
        "rows_read": rows.rows_read, "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }
