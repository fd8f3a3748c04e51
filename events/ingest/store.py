"""Writing events into ClickHouse exactly once per event_id.

Every write is ONE statement that ClickHouse runs natively on the JSON the collector buffered::

    INSERT INTO event
    SELECT * FROM <the block>
    WHERE (client_id, event_id) NOT IN (SELECT client_id, event_id FROM event
                                        WHERE <the block's shops, event types and minutes>)
    LIMIT 1 BY client_id, event_id

Two kinds of repeat are possible and both count once:

- a *client retry*: the SDK resends an event (same event_id, same created_at) in the same or a
  later request. ``LIMIT 1 BY`` drops a repeat inside the block; the ``NOT IN`` drops one that
  the table already holds. The stored ids are read only in the block's sort-key ranges
  (client_id, event_type and the block's runs of minutes), so the lookup stays small.
- a *flusher retry*: the flusher inserted a batch (or part of it) but died before it committed
  its buffer offset, and inserts the batch again. The same ``NOT IN`` keeps only what is still
  missing, so a half-stored batch is completed, never doubled.

No ``insert_deduplication_token``: after a partial insert, the retried statement inserts a
different set of rows under the same token, and ClickHouse would drop them as a repeat.

The block never becomes Python objects: the flusher reads it from the buffer as bytes and the
engine parses, filters and inserts it (docs/benchmarks.md#flusher, ~2x the rate of parsing it
in Python first). A ReplacingMergeTree was rejected: duplicates would only collapse at merge
time, and every query (including the seed's own SQL) would need FINAL to count right.

This assumes one writer per buffer shard at a time (the flusher takes a per-shard lock); two
writers racing on the same new event_id could both find it absent.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Iterable, Sequence

import orjson

from events import clickhouse
from events.ingest.rows import COLUMNS, format_time

TABLE = "event"
BLOCK_ROWS = 100_000

_GAP = timedelta(minutes=1)
# At most this many created_at ranges in one lookup; closer runs are merged beyond it (a wider
# range reads more stored ids but stays correct).
_MAX_RANGES = 64

_INSERT = (
    "INSERT INTO event SELECT * FROM {block}"
    " WHERE (client_id, event_id) NOT IN ("
    "SELECT client_id, event_id FROM event WHERE client_id IN {cids:Array(Int32)}"
    " AND event_type IN {types:Array(UInt8)} AND (%s))"
    " LIMIT 1 BY client_id, event_id"
)
_SETTINGS = {"input_format_skip_unknown_fields": 0, "date_time_input_format": "basic"}
_TYPE_DEFAULTS = {"", "''", "0"}

_structures: dict[str, str] = {}
_structures_lock = threading.Lock()


def structure() -> str:
    """The event table's columns as "name Type, ..." (the block's schema), read once per store.

    ``SELECT *`` from the block fills an absent field with its type's default, so every column
    default must be that (a migration adding a computed default or a MATERIALIZED column has to
    extend this path: we stop here rather than store wrong values).
    """
    url = clickhouse.clickhouse_url()
    with _structures_lock:
        if url not in _structures:
            rows = clickhouse.query(
                "SELECT name, type, default_kind, default_expression FROM system.columns"
                " WHERE database = currentDatabase() AND table = {t:String} ORDER BY position",
                {"t": TABLE}, readonly=False).rows
            for name, _type, kind, expr in rows:
                if kind not in ("", "DEFAULT") or (kind == "DEFAULT" and expr not in _TYPE_DEFAULTS):
                    raise RuntimeError(f"event.{name}: {kind} {expr} is not supported by store.insert_block")
            _structures[url] = ", ".join(f"{name} {type_}" for name, type_, _k, _e in rows)
        return _structures[url]


def minute_runs(spans: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(first, last) created_at spans as merged runs of whole minutes, at most _MAX_RANGES.

    Times are the table's text form ("YYYY-MM-DD HH:MM:SS.ffffff"), which sorts as time, so
    only the few distinct minutes are parsed.
    """
    runs: list[list[str]] = []
    for lo, hi in sorted({(lo[:16], hi[:16]) for lo, hi in spans}):
        if runs and (lo <= runs[-1][1] or datetime.fromisoformat(lo) - datetime.fromisoformat(runs[-1][1]) <= _GAP):
            runs[-1][1] = max(runs[-1][1], hi)
        else:
            runs.append([lo, hi])
    while len(runs) > _MAX_RANGES:
        # Merge the pair with the smallest gap between them: the least extra time read.
        gaps = [datetime.fromisoformat(runs[i + 1][0]) - datetime.fromisoformat(runs[i][1])
                for i in range(len(runs) - 1)]
        i = gaps.index(min(gaps))
        runs[i:i + 2] = [[runs[i][0], runs[i + 1][1]]]
    return [(lo + ":00.000000", hi + ":59.999999") for lo, hi in runs]


def insert_block(block: bytes | Sequence[bytes | memoryview], *, client_ids: Iterable[int],
                 event_types: Iterable[int], spans: Iterable[tuple[str, str]]) -> int:
    """Insert a JSON array (or JSONEachRow lines) of normalized records, each event_id once.

    ``block`` is bytes or pieces that concatenate to them (clickhouse.insert_select).

    ``client_ids``, ``event_types`` and the created_at ``spans`` must cover the block's
    records: they bound the lookup of ids already stored. Returns the rows written.
    Raises ClickHouseUnavailable when the store cannot take it (the caller keeps the block).
    """
    runs = minute_runs(spans)
    if not runs:
        return 0
    params: dict = {"cids": sorted(set(client_ids)), "types": sorted(set(event_types))}
    ranges = []
    for i, (lo, hi) in enumerate(runs):
        ranges.append(f"created_at BETWEEN {{lo{i}:DateTime64(6, 'UTC')}} AND {{hi{i}:DateTime64(6, 'UTC')}}")
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
    try:
        return clickhouse.insert_select(_INSERT % " OR ".join(ranges), block, structure=structure(),
                                        parameters=params, settings_=_SETTINGS)
    except clickhouse.ClickHouseUnavailable:
        raise
    except Exception as exc:
        clickhouse.reset_clients()  # a broken connection must not be reused on the retry
        raise clickhouse.ClickHouseUnavailable(str(exc)[:500]) from exc


def insert_records(records: Iterable[dict]) -> int:
    """Insert normalized records (``rows.normalize`` output); returns how many were new.

    Records are written in time order, ``BLOCK_ROWS`` at a time, so each block's lookup covers
    a short stretch of time even for an import of years of history.
    """
    todo = sorted(records, key=lambda r: (r["created_at"], r["client_id"]))
    total = 0
    for i in range(0, len(todo), BLOCK_ROWS):
        part = todo[i:i + BLOCK_ROWS]
        total += insert_block(orjson.dumps(part), client_ids={r["client_id"] for r in part},
                              event_types={r["event_type"] for r in part},
                              spans=((r["created_at"], r["created_at"]) for r in part))
    return total


def insert_events(rows: Iterable[Sequence], *, block_size: int = BLOCK_ROWS) -> int:
    """Insert rows in COLUMNS order (``rows.to_row`` output), deduplicated by event_id."""
    total = 0
    batch: list[dict] = []
    for row in rows:
        rec = {}
        for c, v in zip(COLUMNS, row):
            if v is not None:
                rec[c] = format_time(v) if isinstance(v, datetime) else v
        batch.append(rec)
        if len(batch) >= block_size:
            total += insert_records(batch)
            batch = []
    if batch:
        total += insert_records(batch)
    return total
