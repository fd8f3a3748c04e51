"""Importing a shop's past events from a file (``manage.py import_events``, DESIGN.md §6).

Input: NDJSON (one JSON object per line) or CSV with a header row, using the event table's
column names (``event_type`` may be a code or a catalog name). ``created_at`` is required, ISO
8601, UTC when it has no offset. Empty CSV cells and JSON nulls mean "no value".

All or nothing on bad input: the whole file is checked before anything is written, and the
first bad row stops the import with ``ImportFailed`` naming its line. Idempotent: a row without
``event_id`` gets a deterministic one (from the client and the row's normalized content), a
supplied event_id is mapped to the stored id layout deterministically (events/ingest/rows.py;
ids exported by UNTITLE are kept as they are), and rows whose stored id the client already has
are skipped. So importing a file twice (or resuming after the store went away mid-way) stores
every event once. Two identical rows without an event_id are one event.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Iterator

import orjson

from events.ingest.rows import EventInvalid, canonical_event_id, normalize
from events.ingest.store import insert_records

# Namespace of generated event ids; changing it would make re-imports insert duplicates.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8b1d-5c3e-9a57-0e4f2d7c1b90")
CHUNK_ROWS = 50_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
FORMATS = ("ndjson", "csv")


class ImportFailed(ValueError):
    """A bad file or row; the message is one line, naming the line of the file."""


@dataclass(frozen=True)
class ImportResult:
    client_id: int
    file: str
    format: str
    rows: int
    inserted: int
    skipped_existing: int
    generated_ids: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def detect_format(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl", ".json"):
        return "ndjson"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "ndjson" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def _ndjson_rows(fh: IO[str]) -> Iterator[tuple[int, dict]]:
    for line_no, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ImportFailed(f"line {line_no}: JSON 형식이 아닙니다 ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ImportFailed(f"line {line_no}: 각 줄은 JSON 객체여야 합니다")
        yield line_no, row


def _csv_rows(fh: IO[str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(fh)
    if not reader.fieldnames:
        raise ImportFailed("line 1: CSV 파일 첫 줄에 열 이름(헤더)이 있어야 합니다")
    header = [h.strip() for h in reader.fieldnames]
    if len(set(header)) != len(header):
        raise ImportFailed("line 1: 헤더에 같은 열 이름이 두 번 있습니다")
    reader.fieldnames = header
    for row in reader:
        if None in row:
            raise ImportFailed(f"line {reader.line_num}: 헤더보다 값이 많습니다")
        values = {k: v for k, v in row.items() if v not in ("", None)}
        if not values:
            continue
        if "client_id" in values and values["client_id"].strip().lstrip("-").isdigit():
            values["client_id"] = int(values["client_id"])
        yield reader.line_num, values


def iter_rows(fh: IO[str], fmt: str) -> Iterator[tuple[int, dict]]:
    """(line number, raw row) for each row of the file."""
    return _ndjson_rows(fh) if fmt == "ndjson" else _csv_rows(fh)


def record_for(client_id: int, line_no: int, row: dict) -> tuple[dict, bool]:
    """Validate one row; return its record and whether its event_id was generated."""
    if row.get("created_at") in (None, ""):
        raise ImportFailed(f"line {line_no}: created_at: 필수 항목입니다 (ISO 8601, 오프셋이 없으면 UTC)")
    try:
        rec = normalize(client_id, row, history=True)
    except EventInvalid as exc:
        where = f"{exc.field}: " if exc.field else ""
        raise ImportFailed(f"line {line_no}: {where}{exc.message}") from None
    generated = row.get("event_id") in (None, "")
    if generated:
        # normalize() drew a random id; an import needs one that the row's content decides.
        content = {k: v for k, v in rec.items() if k != "event_id"}
        digest = uuid.uuid5(EVENT_ID_NAMESPACE, orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode())
        micros = (datetime.fromisoformat(rec["created_at"]).replace(tzinfo=timezone.utc) - _EPOCH) // _MICRO
        rec["event_id"] = canonical_event_id(client_id, micros, str(digest))
    return rec, generated


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
    return io.open(path, "r", encoding="utf-8-sig", newline="")


def import_file(*, client_id: int, path: str | Path, fmt: str | None = None,
                chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Check the whole file, then insert its events in chunks, skipping ones already stored."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"파일이 없습니다: {path}")
    with open(path, "rb") as raw:
        head = raw.read(4096)
    fmt = fmt or detect_format(path, head)
    if fmt not in FORMATS:
        raise ImportFailed(f"알 수 없는 형식입니다: {fmt!r} (ndjson 또는 csv)")
    started = time.perf_counter()
    rows = inserted = generated = 0
    # Pass 1 checks every row and keeps the normalized records in a spool file: nothing is
    # written to the store unless the whole file is good, and no row is normalized twice.
    with tempfile.TemporaryFile() as spool:
        try:
            with _open_text(path) as fh:
                for line_no, row in iter_rows(fh, fmt):
                    rec, gen = record_for(client_id, line_no, row)
                    spool.write(orjson.dumps(rec) + b"\n")
                    rows += 1
                    generated += gen
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"UTF-8 텍스트 파일이 아닙니다 ({exc.start}번째 바이트)") from None
        except csv.Error as exc:
            raise ImportFailed(f"CSV 형식 오류: {exc}") from None
        # Pass 2: insert in chunks; the store skips event_ids the client already has.
        spool.seek(0)
        chunk: list[dict] = []
        for line in spool:
            chunk.append(orjson.loads(line))
            if len(chunk) >= chunk_rows:
                inserted += insert_records(chunk)
                chunk = []
        if chunk:
            inserted += insert_records(chunk)
    return ImportResult(client_id=client_id, file=str(path), format=fmt, rows=rows, inserted=inserted,
                        skipped_existing=rows - inserted, generated_ids=generated,
                        seconds=round(time.perf_counter() - started, 3))
