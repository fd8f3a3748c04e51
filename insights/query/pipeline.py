"""Question -> engine -> IR -> compiled SQL -> rows -> one-sentence answer. No Django import.

``run`` is the caller's way to execute SQL (``events.clickhouse.query`` in the product, a chDB
client in tests); it returns an object with ``.columns`` and ``.rows``. The pipeline never
catches ClickHouse errors: the caller translates timeouts and memory limits into its own
messages, so nothing here is half-done when one happens.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Protocol

from pydantic import ValidationError

from . import ir
from .compiler import CompileError, CompiledQuery, compile_query
from .parser_ko import MAX_QUESTION, OfflineEngine
from .summary import summarize
from .window import ResolvedWindow, resolve

__all__ = ["Answer", "Engine", "OfflineEngine", "answer", "answer_query"]


class Engine(Protocol):
    name: str

    def to_query(self, question: str, *, today: date, timezone: str, context: dict) -> ir.Query: ...


@dataclass
class Answer:
    kind: str
    sql: str
    params: dict
    columns: list[str]
    rows: list[tuple]
    window: ResolvedWindow | None
    summary: str
    ir: dict
    truncated: bool = False
    engine: str = ""
    reason: str | None = None
    suggestion: str | None = None
    elapsed_ms: float = 0.0
    timings: dict = field(default_factory=dict)
    fallback_reason: str | None = None  # why the asked engine did not answer (offline stood in)

    def as_dict(self) -> dict:
        """The DESIGN §6 JSON shape (values still Python objects: UUIDs, dates)."""
        return {"kind": self.kind, "sql": self.sql, "params": self.params, "columns": self.columns,
                "rows": self.rows, "window": self.window.as_dict() if self.window else None,
                "summary": self.summary, "ir": self.ir, "truncated": self.truncated, "engine": self.engine,
                "reason": self.reason, "suggestion": self.suggestion, "elapsed_ms": self.elapsed_ms}


def _cannot(q: ir.Query, engine: str, started: float, window: ResolvedWindow | None = None) -> Answer:
    return Answer(kind="C", sql="", params={}, columns=[], rows=[], window=window, summary=q.reason or "",
                  ir=q.model_dump(mode="json", exclude_none=True), engine=engine, reason=q.reason,
                  suggestion=q.suggestion, elapsed_ms=(time.perf_counter() - started) * 1000)


def answer(question: str, *, client_id: int, timezone: str, today: date, engine: Engine,
           run: Callable[[str, dict], Any], limit: int = 100_000, context: dict | None = None) -> Answer:
    """Answer one question for one client. Kind C (with a Korean reason) when it cannot."""
    started = time.perf_counter()
    name = getattr(engine, "name", "?")
    if question is not None and len(question) > MAX_QUESTION * 2:
        return _cannot(ir.cannot_answer(f"질문이 너무 깁니다({len(question)}자). {MAX_QUESTION}자 이내로 물어 주세요."),
                       name, started)
    fallback = None
    try:
        try:
            q = engine.to_query(question, today=today, timezone=timezone, context=context or {})
        except Exception as exc:
            # llm.EngineUnavailable (network, timeout, quota): the offline parser answers instead.
            # Matched by name so this module never imports the Gemini client.
            if not any(c.__name__ == "EngineUnavailable" for c in type(exc).__mro__):
                raise
            fallback = str(getattr(exc, "message", "") or exc)[:300]
            engine = OfflineEngine()
            q = engine.to_query(question, today=today, timezone=timezone, context=context or {})
    except ValidationError as exc:  # an engine that hands back an impossible IR
        msg = exc.errors()[0].get("msg", "") if exc.errors() else str(exc)
        return _cannot(ir.cannot_answer(f"질문을 올바른 조건으로 바꾸지 못했습니다: {msg}"), name, started)
    name = getattr(engine, "name", name)  # a fallback wrapper names the engine that answered
    parsed = time.perf_counter()
    result = answer_query(q, client_id=client_id, timezone=timezone, today=today, run=run, limit=limit,
                          engine=name)
    result.timings["parse_ms"] = (parsed - started) * 1000
    result.fallback_reason = fallback
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


def answer_query(q: ir.Query, *, client_id: int, timezone: str, today: date, run: Callable[[str, dict], Any],
                 limit: int = 100_000, engine: str = "rules") -> Answer:
    """Run an IR that is already known (edited rules, saved query) and summarise it."""
    started = time.perf_counter()
    if q.kind == "C":
        return _cannot(q, engine, started)
    try:
        compiled: CompiledQuery = compile_query(q, client_id=client_id, timezone=timezone, today=today, limit=limit)
    except CompileError as exc:
        return _cannot(ir.cannot_answer(str(exc)), engine, started, resolve(q.window, today=today, tz=timezone)
                       if timezone else None)
    compiled_at = time.perf_counter()
    res = run(compiled.sql, compiled.params)
    ran = time.perf_counter()
    rows = [tuple(r) for r in res.rows]
    truncated = False
    if q.kind == "A" and len(rows) > limit:
        rows, truncated = rows[:limit], True
    try:
        summary = summarize(q, compiled, list(res.columns), rows, truncated=truncated)
    except Exception:  # a sentence we cannot phrase must not cost the user the answer itself
        summary = f"{compiled.window.label or compiled.window.dates_text()} 결과 {len(rows):,}행입니다."
    return Answer(kind=q.kind, sql=compiled.sql, params=compiled.params, columns=list(res.columns), rows=rows,
                  window=compiled.window, summary=summary, ir=q.model_dump(mode="json", exclude_none=True),
                  truncated=truncated, engine=engine, elapsed_ms=(time.perf_counter() - started) * 1000,
                  timings={"compile_ms": (compiled_at - started) * 1000, "run_ms": (ran - compiled_at) * 1000})
