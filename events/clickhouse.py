"""The one owner of ClickHouse clients (DESIGN.md §3.1).

``CLICKHOUSE_URL`` picks the engine: ``chdb:///path`` is the embedded chDB (real ClickHouse
in-process), ``http(s)://user:pass@host:8123/db`` a server. Clients are opened lazily, one per
thread and per process: a chDB session opened before ``fork()`` hangs in the child, and one
connection runs one query at a time.

Only ONE OS process may open a chDB data path. The embedded run therefore keeps the web
server, the flusher, the Celery worker and beat inside one process (see README).
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import clickhouse_connect
from clickhouse_connect.driver.client import Client as CHClient
from django.conf import settings

_local = threading.local()
_lock = threading.Lock()

# Applied to every read a user can cause. readonly=2 forbids writes but lets the query carry
# its own limits; result_overflow_mode='break' returns the first N rows instead of failing.
#
# Memory: untitle/limits.py lets QUERY_CONCURRENCY_PER_CLIENT (default 3) heavy reads of one
# client run at once, so 1 GiB each keeps a shop at its limit within ~3 GiB inside ClickHouse.
# In the embedded run that is the web process itself: ~0.6 GB at rest + 3 x 1 GiB ~ 3.8 GB,
# where the probe of issue 17 measured 5.8 GB with three queries of 2 GiB each. Each further shop
# busy at the same moment adds up to its own 3 GiB; raising the concurrency setting multiplies
# this, and INSIGHTS_QUERY_SETTINGS may tighten it. (Constants, not settings: the benchmarks
# import this module without Django.)
# Rows: max_rows_to_read stops a runaway scan (``IN system.numbers`` reads billions of rows in
# seconds) with an error instead of letting it run to max_execution_time; 200M rows is far past
# what any window of one shop's own events needs.
READ_SETTINGS: dict[str, Any] = {
    "readonly": 2,
    "max_execution_time": 20,
    "max_result_rows": 100_000,
    "result_overflow_mode": "break",
    "max_memory_usage": 1024**3,
    "max_rows_to_read": 200_000_000,
    "read_overflow_mode": "throw",
}


class ClickHouseUnavailable(RuntimeError):
    """The store cannot be reached; callers that must not lose data keep it and retry."""


@dataclass(frozen=True)
class Rows:
    columns: list[str]
    types: list[str]
    rows: list[tuple]
    rows_read: int = 0
    elapsed_ms: float = 0.0

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]


def clickhouse_url() -> str:
    return settings.CLICKHOUSE_URL


def is_embedded(url: str | None = None) -> bool:
    return (url or clickhouse_url()).startswith("chdb:")


def _chdb_path(url: str) -> str | None:
    if url.startswith("chdb:///"):
        return url[len("chdb://"):]
    return None


def get_client() -> CHClient:
    """This thread's client for CLICKHOUSE_URL, created on first use (after any fork)."""
    url = clickhouse_url()
    key = (os.getpid(), url)
    client = getattr(_local, "client", None)
    if client is not None and getattr(_local, "key", None) == key:
        return client
    path = _chdb_path(url)
    if path:
        os.makedirs(path, exist_ok=True)
    try:
        with _lock:  # chDB's first open of a path is not thread-safe
            client = clickhouse_connect.get_client(dsn=url)
    except Exception as exc:  # connection refused, DNS, auth: all mean "not now"
        raise ClickHouseUnavailable(str(exc)) from exc
    _local.client, _local.key = client, key
    return client


def reset_clients() -> None:
    """Forget this thread's client (tests switching CLICKHOUSE_URL, or after an error)."""
    client = getattr(_local, "client", None)
    engine = getattr(_local, "engine", None)
    _local.client = None
    _local.key = None
    _local.engine = None
    for handle in (client, engine):
        if handle is not None:
            try:
                handle.close()
            except Exception:
                pass


def _engine(url: str):
    """This thread's own chDB connection, beside the clickhouse-connect client: its results
    report the rows an INSERT ... SELECT wrote, which the client's summary leaves out."""
    import chdb

    key = (os.getpid(), url)
    engine = getattr(_local, "engine", None)
    if engine is not None and getattr(_local, "engine_key", None) == key:
        return engine
    get_client()  # opens the engine path first (and under the lock) like every other use
    with _lock:
        engine = chdb.connect(os.path.realpath(_chdb_path(url)))
    _local.engine, _local.engine_key = engine, key
    return engine


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def insert_select(sql: str, block: bytes | Sequence[bytes | memoryview], *, structure: str,
                  parameters: dict | None = None, settings_: dict | None = None) -> int:
    """Run an ``INSERT ... SELECT`` whose ``{block}`` is ``block``; return the rows written.

    ``block`` holds JSONEachRow rows (or one JSON array of them) with the column ``structure``
    ("name Type, ..."), as bytes or as pieces to concatenate (written out one by one, so a
    large batch is not copied into one string first). The engine parses it natively, so a
    caller can filter, deduplicate and insert a batch without turning it into Python objects.
    Embedded, chDB reads the block from a temporary file through file(); a server reads it as
    the request body through input(). Errors reach the caller as they are.
    """
    pieces = [block] if isinstance(block, (bytes, bytearray, memoryview)) else block
    url = clickhouse_url()
    clause = ", ".join(f"{k} = {_literal(str(v))}" for k, v in (settings_ or {}).items())
    if not is_embedded(url):
        text = sql.replace("{block}", f"input({_literal(structure)})")
        text += (f" SETTINGS {clause}" if clause else "") + " FORMAT JSONEachRow"
        summary = get_client().command(text, parameters=parameters, data=b"".join(pieces))
        return int(getattr(summary, "written_rows", 0) or 0)
    from clickhouse_connect.driver.binding import bind_query

    fd, path = tempfile.mkstemp(prefix="untitle-insert-", suffix=".json", dir=_insert_dir())
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(pieces)
        text = sql.replace("{block}", f"file({_literal(path)}, 'JSONEachRow', {_literal(structure)})")
        text += f" SETTINGS {clause}" if clause else ""
        bound, params = bind_query(text, parameters or {})
        params = {(k[6:] if k.startswith("param_") else k): v for k, v in params.items()}
        result = _engine(url).query(bound, "TabSeparated", params=params)
        return int(result.rows_written())
    finally:
        os.unlink(path)


# A block waits in a file only while its INSERT runs; one left behind belongs to a process that
# died mid-insert (the batch itself is still in the buffer and is inserted again). Blocks are up
# to tens of MB, so a crash loop would fill the disk: the first insert of a process removes
# leftovers older than this.
STALE_INSERT_SECONDS = 3600
_swept: set[str] = set()


def _insert_dir() -> str:
    path = os.path.join(str(settings.VAR_DIR), "inserts")
    if path not in _swept:
        os.makedirs(path, exist_ok=True)
        cutoff = time.time() - STALE_INSERT_SECONDS
        for entry in os.scandir(path):
            try:
                if entry.name.startswith("untitle-insert-") and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass   # gone already, or not ours to remove: not worth failing an insert for
        _swept.add(path)
    return path


def query(sql: str, parameters: dict | None = None, *, settings_: dict | None = None,
          readonly: bool = True) -> Rows:
    """Run a SELECT with bound parameters and the read limits; return typed rows.

    Parameters are always bound server-side ({name:Type} placeholders), never formatted in.
    """
    opts = dict(READ_SETTINGS) if readonly else {}
    if settings_:
        opts.update(settings_)
    try:
        result = get_client().query(sql, parameters=parameters or {}, settings=opts)
    except Exception:
        if readonly and is_embedded():
            # chDB applies the settings of a write statement with SET and restores them after;
            # once readonly is set the restore is refused, and the session would stay readonly
            # for every later insert on this thread. Drop it; the next call opens a clean one.
            reset_clients()
        raise
    summary = getattr(result, "summary", None) or {}
    return Rows(
        columns=list(result.column_names),
        types=[t.name for t in result.column_types],
        rows=[tuple(r) for r in result.result_rows],
        rows_read=int(summary.get("read_rows", 0) or 0),
        elapsed_ms=float(summary.get("elapsed_ns", 0) or 0) / 1e6,
    )


def command(sql: str, parameters: dict | None = None, *, settings_: dict | None = None) -> Any:
    """DDL or other statements we write ourselves (migrations, maintenance). Never user input."""
    return get_client().command(sql, parameters=parameters, settings=settings_)


def insert(table: str, rows: Sequence[Sequence[Any]], column_names: Iterable[str], *,
           settings_: dict | None = None) -> int:
    """Insert rows (already validated) into one of our tables; returns the row count."""
    if not rows:
        return 0
    get_client().insert(table, rows, column_names=list(column_names), settings=settings_)
    return len(rows)


def insert_arrow(table: str, arrow_table, *, settings_: dict | None = None) -> int:
    """Bulk insert a pyarrow table (column-oriented, no per-row Python); returns the row count.

    The fast path for generated data: chDB parses the Arrow buffers natively.
    """
    if arrow_table.num_rows == 0:
        return 0
    get_client().insert_arrow(table, arrow_table, settings=settings_)
    return arrow_table.num_rows


@contextmanager
def dedicated_client() -> Iterator[CHClient]:
    """A client of its own (not this thread's), closed on exit: for long reads such as downloads.

    A streamed result holds its connection until consumed; other requests served by this thread
    meanwhile use the thread's client as usual.
    """
    try:
        with _lock:
            client = clickhouse_connect.get_client(dsn=clickhouse_url())
    except Exception as exc:
        raise ClickHouseUnavailable(str(exc)) from exc
    try:
        yield client
    finally:
        client.close()


def _settings_clause(settings_: dict | None) -> str:
    opts = {k: v for k, v in READ_SETTINGS.items() if k not in ("max_result_rows", "result_overflow_mode")}
    opts.update(settings_ or {})
    return ", ".join(f"{k} = {v!r}" for k, v in opts.items())


def stream(queries: Iterable[tuple[str, dict]], *, fmt: str = "CSV", settings_: dict | None = None,
           chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """Yield the results of (sql, parameters) reads, one after another, as raw bytes in ``fmt``.

    The read limits ride in each query's own SETTINGS clause: chDB materializes a streamed result
    when settings come with the call (only row formats such as CSV, TSV, JSONEachRow, Native
    stream there). ``max_result_rows`` is left out, an export wants every row; callers bound the
    work by the window they ask for. One dedicated client serves all the queries.
    """
    clause = _settings_clause(settings_)
    with dedicated_client() as client:
        for sql, parameters in queries:
            body = client.raw_stream(f"{sql}\nSETTINGS {clause}", parameters=parameters or {}, fmt=fmt)
            try:
                while chunk := body.read(chunk_size):
                    yield chunk
            finally:
                body.close()
