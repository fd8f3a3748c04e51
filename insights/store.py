"""The one place insights runs ClickHouse: a marketer's questions read with the insights limits,
large audiences kept whole in result tables, segment versions frozen in ``segment_member``,
member ids of visitors, the shop vocabulary the model is shown.

Every read a marketer triggers runs ``readonly`` with ``settings.INSIGHTS_QUERY_SETTINGS`` on
top of the store's own limits; a failure the marketer can act on becomes an ``AskError``.
"""
from __future__ import annotations

import logging
import re
from typing import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from events import clickhouse
from events.clickhouse import ClickHouseUnavailable
from events.facade import member_ids_of

from .errors import AskError, AskErrorCode

log = logging.getLogger(__name__)

__all__ = ["ClickHouseUnavailable", "MeteredRun", "member_ids", "query_settings", "run",
           "translate_clickhouse_error"]

# Visitors whose member ids one read looks up (one result page; the live-size sample).
MEMBER_IDS_MAX = 1000
# Rows one page of a segment version reads (exports and the campaigns' hand-off page through it).
MEMBERS_PAGE = 50_000
RESULT_TABLE_PREFIX = "query_result_"


# --- reading with the insights limits -------------------------------------------------------

def query_settings() -> dict:
    # A deployment (or a test) may tighten the read limits further, never loosen readonly.
    extra = dict(settings.INSIGHTS_QUERY_SETTINGS or {})
    extra.pop("readonly", None)
    return extra


def _write_limits() -> dict:
    """The read limits for an INSERT ... SELECT / CREATE ... AS SELECT (which cannot be readonly,
    and must not stop at the row cap of an answer)."""
    limits = {k: v for k, v in clickhouse.READ_SETTINGS.items()
              if k not in ("readonly", "max_result_rows", "result_overflow_mode")}
    limits.update(query_settings())
    return limits


# ClickHouse error codes (numbers and names as in ClickHouse's src/Common/ErrorCodes.cpp, listed
# by the server in system.errors: https://clickhouse.com/docs/operations/system-tables/errors)
# that the query's own text causes: the asker's to fix, so a 400 with a short Korean hint, never
# the server's message (it names tables, types and the query). Grouped by the hint they get.
_QUERY_MISTAKES: dict[str, frozenset[int]] = {
    "syntax": frozenset({62, 80, 211}),  # SYNTAX_ERROR, INCORRECT_QUERY, EMPTY_QUERY
    # UNKNOWN_IDENTIFIER, THERE_IS_NO_COLUMN, NOT_FOUND_COLUMN_IN_BLOCK, NO_SUCH_COLUMN_IN_TABLE,
    # UNKNOWN_TABLE, AMBIGUOUS_IDENTIFIER, AMBIGUOUS_COLUMN_NAME, CYCLIC_ALIASES,
    # MULTIPLE_EXPRESSIONS_FOR_ALIAS, ALIAS_REQUIRED, UNKNOWN_DATABASE
    "name": frozenset({47, 8, 10, 16, 60, 207, 352, 174, 179, 206, 81}),
    # UNKNOWN_FUNCTION, UNKNOWN_AGGREGATE_FUNCTION, NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
    # TOO_MANY/TOO_FEW_ARGUMENTS_FOR_FUNCTION, AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS,
    # PARAMETERS_TO_AGGREGATE_FUNCTIONS_MUST_BE_LITERALS, FUNCTION_CANNOT_HAVE_PARAMETERS, BAD_LAMBDA
    "function": frozenset({46, 63, 42, 34, 35, 133, 134, 309, 356}),
    # ILLEGAL_TYPE_OF_ARGUMENT, TYPE_MISMATCH, ILLEGAL_COLUMN, NO_COMMON_TYPE, CANNOT_CONVERT_TYPE,
    # CANNOT_PARSE_TEXT/_NUMBER/_DATE/_DATETIME/_UUID/_INPUT_ASSERTION_FAILED/_ESCAPE_SEQUENCE/
    # _QUOTED_STRING, ILLEGAL_DIVISION, ARGUMENT_OUT_OF_BOUND, DECIMAL_OVERFLOW, BAD_ARGUMENTS,
    # CANNOT_COMPILE_REGEXP, SIZES_OF_ARRAYS_DOESNT_MATCH, ZERO_ARRAY_OR_TUPLE_INDEX,
    # INCORRECT_ELEMENT_OF_SET, INCORRECT_RESULT_OF_SCALAR_SUBQUERY, ILLEGAL_TYPE_OF_COLUMN_FOR_FILTER,
    # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, UNKNOWN_TYPE
    "value": frozenset({43, 53, 44, 386, 70, 6, 72, 38, 41, 376, 27, 25, 26, 153, 69, 407, 36, 427,
                        190, 135, 124, 125, 59, 321, 50}),
    # ILLEGAL_AGGREGATION, NOT_AN_AGGREGATE, ILLEGAL_KEY_OF_AGGREGATION, AGGREGATE_FUNCTION_NOT_APPLICABLE,
    # UNION_ALL_RESULT_STRUCTURES_MISMATCH, NUMBER_OF_COLUMNS_DOESNT_MATCH, INVALID_JOIN_ON_EXPRESSION,
    # ILLEGAL_PREWHERE, ILLEGAL_FINAL, INVALID_LIMIT_EXPRESSION, EMPTY_LIST_OF_COLUMNS_QUERIED,
    # INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE, UNEXPECTED_EXPRESSION
    "shape": frozenset({184, 215, 67, 154, 258, 20, 403, 182, 181, 440, 51, 353, 183}),
    # TOO_DEEP_SUBQUERIES, TOO_DEEP_AST, TOO_BIG_AST, TOO_DEEP_RECURSION, QUERY_IS_TOO_LARGE
    "complex": frozenset({162, 167, 168, 306, 229}),
}
_MISTAKE_HINTS = {
    "syntax": gettext_noop("SQL 문법이 올바르지 않습니다. 쿼리를 확인해 주세요."),
    "name": gettext_noop("알 수 없거나 모호한 열 이름이 있습니다. 열 이름과 별칭을 확인해 주세요."),
    "function": gettext_noop("함수 이름이나 인자 개수가 올바르지 않습니다. 함수 사용법을 확인해 주세요."),
    "value": gettext_noop("값의 형식이나 자료형이 맞지 않습니다. 비교하는 값과 함수 인자의 형식을 확인해 주세요."),
    "shape": gettext_noop("쿼리 구성이 올바르지 않습니다. GROUP BY와 집계 함수, UNION의 열 개수를 확인해 주세요."),
    "complex": gettext_noop("쿼리가 너무 복잡합니다. 하위 쿼리와 조건을 줄여 주세요."),
}
# TOO_MANY_ROWS, TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES, SET_SIZE_LIMIT_EXCEEDED, TOO_MANY_COLUMNS,
# TOO_MANY_TEMPORARY_(NON_CONST_)COLUMNS, LIMIT_EXCEEDED: the query is fine, only too big.
_TOO_MUCH_CODES = frozenset({158, 307, 396, 191, 161, 165, 166, 290})
_CODE_RE = re.compile(r"(?:Code: |error code )(\d+)")


def _clickhouse_code(text: str) -> int | None:
    # chDB and the HTTP driver both carry ClickHouse's "Code: N." (the driver adds "error code N")
    match = _CODE_RE.search(text)
    return int(match.group(1)) if match else None


def translate_clickhouse_error(exc: Exception) -> AskError:
    text = str(exc)
    if isinstance(exc, ClickHouseUnavailable):
        return AskError(_("데이터 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
                        code=AskErrorCode.UNAVAILABLE, status=503, detail=text[:500])
    code = _clickhouse_code(text)
    if "TIMEOUT_EXCEEDED" in text or code in (159, 160):
        return AskError(_("질문 실행이 시간 제한을 넘어 중단되었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.TIMEOUT, status=422, detail=text[:500])
    if "MEMORY_LIMIT_EXCEEDED" in text or code == 241:
        return AskError(_("질문 실행에 필요한 메모리가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.MEMORY, status=422, detail=text[:500])
    if "TOO_MANY_ROWS" in text or "TOO_MANY_BYTES" in text or code in _TOO_MUCH_CODES:
        return AskError(_("읽어야 할 데이터가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.TOO_MUCH, status=422, detail=text[:500])
    kind = next((k for k, codes in _QUERY_MISTAKES.items() if code in codes), None)
    if kind is not None:
        # Compiled questions reach here only through a value the asker typed (a regex, a date),
        # or a compiler bug: the warning keeps the latter visible without a 500 for the former.
        log.warning("query refused by ClickHouse (code %s): %s", code, text[:300])
        return AskError(_("쿼리를 실행할 수 없습니다: %(hint)s") % {"hint": _(_MISTAKE_HINTS[kind])},
                        code=AskErrorCode.SQL_INVALID, status=400, detail=text[:500])
    log.exception("query failed", exc_info=exc)
    return AskError(_("질문을 실행하지 못했습니다. 잠시 후 다시 시도해 주세요."), code=AskErrorCode.QUERY_FAILED,
                    status=500, detail=text[:500])


def run(sql: str, params: dict):
    """A marketer's read: readonly, with the insights limits; failures as ``AskError``."""
    try:
        return clickhouse.query(sql, params, settings_=query_settings())
    except AskError:
        raise
    except Exception as exc:
        raise translate_clickhouse_error(exc) from exc


class MeteredRun:
    """The pipeline's ``run`` that also remembers how many rows ClickHouse read (for run history)."""

    def __init__(self):
        self.rows_read = 0

    def __call__(self, sql: str, params: dict):
        rows = run(sql, params)
        self.rows_read += int(getattr(rows, "rows_read", 0) or 0)
        return rows


def rows_read_known() -> bool:
    """Whether ``rows_read`` is the rows ClickHouse read. Measured with chDB 4.4 through
    clickhouse-connect 1.12: its backend maps chDB's ``rows_read()`` (the RESULT rows) onto
    ``read_rows`` while the true figure is ``storage_rows_read()``, so a count() over 100,000 rows
    reports 1. A ClickHouse server's X-ClickHouse-Summary read_rows is the true figure."""
    return not clickhouse.is_embedded()


def member_ids(*, client_id: int, uuids: list) -> dict[str, str]:
    """Cafe24 member ids of the given visitors, where they ever logged in (for one result page)."""
    try:
        return member_ids_of(client_id=client_id, uuids=list(uuids)[:MEMBER_IDS_MAX], settings_=query_settings())
    except Exception as exc:
        raise translate_clickhouse_error(exc) from exc


def audience_rows(sql: str, params: dict, *, limit: int) -> list:
    """Every row of a compiled audience up to ``limit`` (one row past it only says "more")."""
    return clickhouse.query(sql, params, settings_={"max_result_rows": limit + 1}).rows


def top_values(*, client_id: int, columns: dict[str, str], days: int) -> dict[str, list[str]]:
    """The 50 most frequent non-empty values of each event column (and utm_campaign) of the last
    ``days`` days, as {name: [value, ...]}; raises whatever the store raises."""
    select = ", ".join(f"topKIf(50)(assumeNotNull({col}), {col} IS NOT NULL AND {col} != '') AS {name}"
                       for name, col in columns.items())
    sql = (f"SELECT {select}, topKIf(50)(utm_campaign, utm_campaign != '') AS campaigns FROM event "
           "WHERE client_id = {client_id:Int32} AND created_at >= now64(6) - toIntervalDay({days:UInt16})")
    data = clickhouse.query(sql, {"client_id": client_id, "days": days})
    return {name: [str(v) for v in values] for name, values in zip(data.columns, data.rows[0]) if values}


# --- result tables (a saved question's large audience, kept whole) ---------------------------

def result_table_name(run_id: int) -> str:
    """The name comes from the run id alone, never from a request."""
    return f"{RESULT_TABLE_PREFIX}{int(run_id)}"


def result_table_create(*, run_id: int, sql: str, params: dict) -> str:
    """Keep a run's audience whole; failures as ``AskError``."""
    table = result_table_name(run_id)
    try:
        clickhouse.command(f"DROP TABLE IF EXISTS {table}")
        clickhouse.command(f"CREATE TABLE {table} ENGINE = MergeTree ORDER BY uuid AS {sql}", params,
                           settings_=_write_limits())
    except Exception as exc:
        raise translate_clickhouse_error(exc) from exc
    return table


def result_tables_drop(tables: list[str]) -> None:
    for t in tables:
        # only names result_table_name made: a stored value is never trusted as an identifier
        if t.startswith(RESULT_TABLE_PREFIX) and t[len(RESULT_TABLE_PREFIX):].isdigit():
            try:
                clickhouse.command(f"DROP TABLE IF EXISTS {t}")
            except Exception:
                log.exception("could not drop %s", t)


def result_table_page(*, run_id: int, limit: int, offset: int):
    """(columns, rows) of one page of a run's kept audience, in uuid order."""
    table = result_table_name(run_id)
    data = clickhouse.query(f"SELECT * FROM {table} ORDER BY uuid LIMIT {{lim:UInt32}} OFFSET {{off:UInt64}}",
                            {"lim": limit, "off": offset})
    return data.columns, data.rows


# --- segment versions (segment_member) -------------------------------------------------------

def segment_version_write(*, client_id: int, segment_id: int, version: int, select: str, params: dict) -> None:
    """Freeze the visitors a compiled audience ``select`` returns as one version of the segment."""
    limits = _write_limits()
    limits["join_use_nulls"] = 1
    clickhouse.command(
        "INSERT INTO segment_member (client_id, segment_id, version, uuid, member_id) "
        "SELECT {client_id:Int32}, {seg_id:Int64}, {seg_version:UInt32}, uuid, ifNull(member_id, '') "
        f"FROM (\n{select}\n)", dict(params, client_id=client_id, seg_id=segment_id, seg_version=version),
        settings_=limits)


def segment_versions_drop(*, client_id: int, segment_id: int, upto: int | None) -> None:
    """Drop a segment's versions up to ``upto`` (every version when None); logged, never raised."""
    cond = "" if upto is None else " AND version <= {upto:UInt32}"
    try:
        # synchronous: the table is small per segment, and a reader never sees a half-dropped version
        clickhouse.command("ALTER TABLE segment_member DELETE WHERE client_id = {c:Int32} AND segment_id = {s:Int64}"
                           + cond, {"c": client_id, "s": segment_id, "upto": upto or 0},
                           settings_={"mutations_sync": 2})
    except Exception:
        log.exception("could not drop old segment versions %s/%s", client_id, segment_id)


def _diff_sql(new: str, old: str, select: str) -> str:
    # An anti-join between two versions of one segment (LEFT JOIN ... IS NULL, DESIGN.md §5).
    return ("WITH a AS (SELECT uuid, member_id FROM segment_member WHERE client_id = {c:Int32} "
            f"AND segment_id = {{s:Int64}} AND version = {{{new}:UInt32}}), "
            "b AS (SELECT uuid FROM segment_member WHERE client_id = {c:Int32} "
            f"AND segment_id = {{s:Int64}} AND version = {{{old}:UInt32}}) "
            f"SELECT {select} FROM a LEFT JOIN b ON b.uuid = a.uuid WHERE b.uuid IS NULL")


def segment_version_stats(*, client_id: int, segment_id: int, version: int, previous: int | None) -> dict:
    """size, members, and who entered / left since ``previous`` (everyone entered on a first version)."""
    p = {"c": client_id, "s": segment_id, "v": version, "p": previous or 0}
    rows = clickhouse.query(
        "SELECT count() AS size, countIf(member_id != '') AS members FROM segment_member "
        "WHERE client_id = {c:Int32} AND segment_id = {s:Int64} AND version = {v:UInt32}", p).rows
    size, members = rows[0]
    entered = left = 0
    if previous is not None:
        entered = _diff_count(p, new="v", old="p")
        left = _diff_count(p, new="p", old="v")
    else:
        entered = size
    return {"size": int(size), "members": int(members), "entered": int(entered), "left": int(left)}


def _diff_count(p: dict, *, new: str, old: str) -> int:
    rows = clickhouse.query(_diff_sql(new, old, "count()"), p, settings_={"join_use_nulls": 1}).rows
    return int(rows[0][0])


def segment_version_members(*, client_id: int, segment_id: int, version: int) -> Iterator[tuple[str, str]]:
    """(uuid, member_id) of one version, in uuid order, paged under the hood."""
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


def segment_version_changes(*, client_id: int, segment_id: int, version: int, previous: int | None,
                            kind: str, limit: int, offset: int) -> list:
    """(uuid, member_id) rows who entered (or left) in ``version`` against ``previous``, in uuid order;
    with no previous version everyone entered."""
    if previous is None:
        sql = ("SELECT uuid, member_id FROM segment_member WHERE client_id = {c:Int32} AND segment_id = {s:Int64} "
               "AND version = {v:UInt32} ORDER BY uuid LIMIT {n:UInt32} OFFSET {o:UInt32}")
    else:
        new, old = ("v", "p") if kind == "entered" else ("p", "v")
        sql = _diff_sql(new, old, "a.uuid, a.member_id") + " ORDER BY a.uuid LIMIT {n:UInt32} OFFSET {o:UInt32}"
    return clickhouse.query(sql, {"c": client_id, "s": segment_id, "v": version, "p": previous or 0, "n": limit,
                                  "o": offset}, settings_={"join_use_nulls": 1}).rows


# The masking of ``segments.selectors.mask_member_id``, in ClickHouse (exports never leave the store
# unmasked for a viewer).
_MASKED_MEMBER_ID = (
    "if(member_id = '', '', if(lengthUTF8(member_id) <= 4, concat(substringUTF8(member_id, 1, 1), "
    "repeat('*', toUInt64(lengthUTF8(member_id) - 1))), concat(substringUTF8(member_id, 1, 2), "
    "repeat('*', toUInt64(lengthUTF8(member_id) - 4)), substringUTF8(member_id, -2))))")


def segment_version_stream(*, client_id: int, segment_id: int, version: int, masked: bool,
                           fmt: str) -> Iterator[bytes]:
    """One version streamed in a ClickHouse output format (CSVWithNames, JSONEachRow)."""
    member = _MASKED_MEMBER_ID if masked else "member_id"
    sql = (f"SELECT toString(uuid) AS uuid, {member} AS member_id FROM segment_member "
           "WHERE client_id = {c:Int32} AND segment_id = {s:Int64} AND version = {v:UInt32} ORDER BY uuid")
    return clickhouse.stream([(sql, {"c": client_id, "s": segment_id, "v": version})], fmt=fmt)
