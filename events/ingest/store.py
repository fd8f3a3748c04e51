"""Writing events into ClickHouse exactly once per event_id.

Two kinds of repeat are possible and both must count once:

- a *client retry*: the SDK resends an event (same event_id, same created_at) in a later
  request, so it reaches the buffer twice in different batches. Before inserting, we ask the
  table which of the batch's event_ids already exist. The lookup is cheap because it is bounded
  by the sort key: client_id IN, event_type IN and the batch's created_at range.
- a *flusher retry*: the flusher inserted a batch but died (or lost the reply) before it
  committed its buffer offset, and inserts the same batch again. The insert carries
  ``insert_deduplication_token`` (a stable id of the batch), and the table keeps
  ``non_replicated_deduplication_window`` recent tokens, so ClickHouse drops the repeat; the
  existence lookup would catch it too.

A ReplacingMergeTree was rejected: duplicates would only collapse at merge time, and every query
(including the seed's own SQL) would need FINAL to count right.

This assumes one writer per buffer shard at a time (the flusher takes a per-shard lock); two
writers racing on the same new event_id could both find it absent.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable, Sequence

import orjson

from events import clickhouse
from events.ingest.rows import COLUMNS, format_time

TABLE = "event"
_LOOKUP_CHUNK = 2000


_GAP = timedelta(minutes=1)
_MAX_RANGES = 64


def _minute_ranges(records: list[dict]) -> tuple[list[tuple[str, str]], set[int], set[int]]:
    """The batch's created_at as runs of whole minutes, plus its shops and event types.

    One pass over the strings, no sorting: "YYYY-MM-DD HH:MM" prefixes are collected, and only
    the few distinct minutes are parsed and merged into consecutive runs.
    """
    minutes = {rec["created_at"][:16] for rec in records}
    cids = {rec["client_id"] for rec in records}
    types = {rec["event_type"] for rec in records}
    ranges: list[tuple[str, str]] = []
    prev = None
    for minute in sorted(minutes):
        ts = datetime.fromisoformat(minute)
        if prev is not None and ts - prev <= _GAP:
            ranges[-1] = (ranges[-1][0], minute)
        else:
            ranges.append((minute, minute))
        prev = ts
    return [(lo + ":00.000000", hi + ":59.999999") for lo, hi in ranges], cids, types


def _existing_ids(records: list[dict]) -> set[tuple[int, str]]:
    """Which (client_id, event_id) of these records the table already holds.

    Binding thousands of UUIDs as a query parameter is slow (seconds per 100k), so for the usual
    batch (recent events, a few runs of minutes) we read the ids stored in the batch's own
    sort-key ranges, one query per run for all its shops, and intersect here. Scattered history
    (imports) falls back to chunked IN lookups per shop.
    """
    found: set[tuple[int, str]] = set()
    ranges, cids, types = _minute_ranges(records)
    client = clickhouse.get_client()
    if len(ranges) <= _MAX_RANGES:
        for lo, hi in ranges:
            raw = client.raw_query(
                "SELECT client_id, event_id FROM event WHERE client_id IN {cids:Array(Int32)}"
                " AND event_type IN {types:Array(UInt8)}"
                " AND created_at BETWEEN {lo:DateTime64(6, 'UTC')} AND {hi:DateTime64(6, 'UTC')}",
                parameters={"cids": sorted(cids), "types": sorted(types), "lo": lo, "hi": hi},
                fmt="TabSeparated", settings={"max_execution_time": 60},
            )
            for line in raw.decode().splitlines():
                cid, eid = line.split("\t")
                found.add((int(cid), eid))
        return found
    by_client: dict[int, list[dict]] = defaultdict(list)
    for rec in records:
        by_client[rec["client_id"]].append(rec)
    for client_id, crecs in by_client.items():
        crecs.sort(key=lambda r: r["created_at"])
        for i in range(0, len(crecs), _LOOKUP_CHUNK):
            chunk = crecs[i:i + _LOOKUP_CHUNK]
            rows = clickhouse.query(
                "SELECT toString(event_id) FROM event WHERE client_id = {cid:Int32}"
                " AND event_type IN {types:Array(UInt8)}"
                " AND created_at BETWEEN {lo:DateTime64(6, 'UTC')} AND {hi:DateTime64(6, 'UTC')}"
                " AND event_id IN {ids:Array(UUID)}",
                {"cid": client_id, "types": sorted({r["event_type"] for r in chunk}),
                 "lo": chunk[0]["created_at"], "hi": chunk[-1]["created_at"],
                 "ids": [r["event_id"] for r in chunk]},
                readonly=False,
                settings_={"max_execution_time": 60},
            ).rows
            found.update((client_id, r[0]) for r in rows)
    return found


def plan(records: Iterable[dict]) -> list[dict]:
    """Drop repeats inside the batch (pure Python, no ClickHouse)."""
    unique: dict[tuple[int, str], dict] = {}
    for rec in records:
        unique.setdefault((rec["client_id"], rec["event_id"]), rec)
    return list(unique.values())


def new_only(planned: list[dict]) -> list[dict]:
    """The planned records whose event_id the table does not hold yet."""
    if not planned:
        return planned
    existing = _existing_ids(planned)
    if not existing:
        return planned
    return [r for r in planned if (r["client_id"], r["event_id"]) not in existing]


def write(todo: list[dict], *, dedup_token: str | None = None) -> int:
    """One INSERT of already deduplicated records; ClickHouse drops a repeat of ``dedup_token``."""
    if not todo:
        return 0
    # One JSON array is ~30x faster to build than per-row dumps; JSONEachRow accepts arrays.
    block = orjson.dumps(todo)
    settings_ = {"input_format_skip_unknown_fields": 0, "date_time_input_format": "basic"}
    if dedup_token:
        settings_["insert_deduplication_token"] = dedup_token
        settings_["insert_deduplicate"] = 1
    try:
        client = clickhouse.get_client()
        client.raw_insert(TABLE, None, insert_block=block, fmt="JSONEachRow", settings=settings_)
    except clickhouse.ClickHouseUnavailable:
        raise
    except Exception as exc:
        clickhouse.reset_clients()  # a broken connection must not be reused on the retry
        raise clickhouse.ClickHouseUnavailable(str(exc)[:500]) from exc
    return len(todo)


def insert_records(records: Iterable[dict], *, dedup_token: str | None = None) -> int:
    """Insert normalized records (``rows.normalize`` output); returns how many were new."""
    return write(new_only(plan(records)), dedup_token=dedup_token)


def insert_events(rows: Iterable[Sequence], *, dedup_token: str | None = None,
                  block_size: int = 100_000) -> int:
    """Insert rows in COLUMNS order (``rows.to_row`` output), deduplicated by event_id."""
    total = blocks = 0
    batch: list[dict] = []

    def flush() -> int:
        token = f"{dedup_token}:{blocks}" if dedup_token else None
        return insert_records(batch, dedup_token=token)

    for row in rows:
        rec = {}
        for c, v in zip(COLUMNS, row):
            if v is not None:
                rec[c] = format_time(v) if isinstance(v, datetime) else v
        batch.append(rec)
        if len(batch) >= block_size:
            total += flush()
            blocks += 1
            batch = []
    if batch:
        total += flush()
    return total
