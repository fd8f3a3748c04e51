"""The one place insights runs ClickHouse: a marketer's questions read with the insights limits,
large audiences kept whole in result tables, segment versions frozen in ``segment_member``,
member ids of visitors, the shop vocabulary the model is shown.

Every read a marketer triggers runs ``readonly`` with ``settings.INSIGHTS_QUERY_SETTINGS`` on
top of the store's own limits; a failure the marketer can act on becomes an ``AskError``.
"""
from __future__ import annotations

import logging
from typing import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

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


def translate_clickhouse_error(exc: Exception) -> AskError:
    text = str(exc)
    if isinstance(exc, ClickHouseUnavailable):
        return AskError(_("데이터 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
                        code=AskErrorCode.UNAVAILABLE, status=503, detail=text[:500])
    if "TIMEOUT_EXCEEDED" in text or "Code: 159" in text:
        return AskError(_("질문 실행이 시간 제한을 넘어 중단되었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.TIMEOUT, status=422, detail=text[:500])
    if "MEMORY_LIMIT_EXCEEDED" in text or "Code: 241" in text:
        return AskError(_("질문 실행에 필요한 메모리가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.MEMORY, status=422, detail=text[:500])
    if "TOO_MANY_ROWS" in text or "TOO_MANY_BYTES" in text:
        return AskError(_("읽어야 할 데이터가 한도를 넘었습니다. 기간을 줄이거나 조건을 좁혀 다시 시도해 주세요."),
                        code=AskErrorCode.TOO_MUCH, status=422, detail=text[:500])
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
