"""The one error of insights: a problem the marketer can act on while asking, saving a question,
building an audience or keeping a segment (message in Korean, HTTP status, the code below)."""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError


class AskErrorCode(StrEnum):
    # asking
    EMPTY = "empty"                  # no question / no SQL / rules that select nobody
    TOO_LONG = "too_long"
    ENGINE = "engine"                # unknown engine, or Gemini chosen without a key
    INVALID_IR = "invalid_ir"        # rules (IR) that do not validate
    TODAY = "today"                  # "today" is not a date
    GUARD = "guard"                  # raw SQL the guard refuses
    PAGING = "paging"
    # the event store
    UNAVAILABLE = "unavailable"      # also: a filter whose data is not there (RFM not scored)
    TIMEOUT = "timeout"
    MEMORY = "memory"
    TOO_MUCH = "too_much"
    QUERY_FAILED = "query_failed"
    SQL_INVALID = "sql_invalid"          # ClickHouse refused the query itself (syntax, names, types)
    # saved questions
    NAME = "name"                    # also a segment name taken
    DUPLICATE = "duplicate"
    KIND_C = "kind_c"                # "cannot answer" cannot be saved or run as an audience
    SCHEDULE = "schedule"
    # audiences and segments
    INVALID_RULES = "invalid_rules"
    NOT_AUDIENCE = "not_audience"
    COMPILE = "compile"
    WEBHOOK_URL = "webhook_url"
    NO_WEBHOOK = "no_webhook"
    KIND = "kind"                    # changes: neither entered nor left
    FORMAT = "format"                # export: neither csv nor json
    NO_SNAPSHOT = "no_snapshot"


class AskError(AppError):
    """A problem the asker can act on: ``message`` is user-facing (Korean), ``status`` the HTTP code."""

    default_code = "invalid"
