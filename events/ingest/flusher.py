"""The flusher: moves buffered events into ClickHouse, retrying with backoff while it is down.

``run_forever(stop_event)`` is the loop. The embedded run starts it as a thread of
``manage.py serve`` (settings.EMBEDDED_THREADS); production runs ``manage.py flush_events`` as
its own process (or several: each buffer shard is flushed by one process at a time).
A batch is committed in the buffer only after ClickHouse took it, so a crash anywhere leaves
the batch to be inserted again, and store.insert_records makes that repeat a no-op.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from events.clickhouse import ClickHouseUnavailable
from events.ingest.store import insert_records

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


@dataclass
class FlushStats:
    batches: int = 0
    read: int = 0
    inserted: int = 0


def get_buffer():
    """The buffer this deployment uses (settings.COLLECTOR_BUFFER: "redis" or "spool")."""
    from django.conf import settings

    from events.ingest.buffer import RedisStreamBuffer, Spool

    kind = getattr(settings, "COLLECTOR_BUFFER", "") or ("redis" if settings.REDIS_URL else "spool")
    if kind == "redis":
        return RedisStreamBuffer(settings.REDIS_URL, shards=getattr(settings, "COLLECTOR_SHARDS", 1))
    return _spool(str(settings.VAR_DIR / "spool"))


_spools: dict[str, object] = {}
_spools_lock = threading.Lock()


def _spool(path: str):
    """One Spool object per directory and process: its group commit needs a single writer."""
    from events.ingest.buffer import Spool

    with _spools_lock:
        if path not in _spools:
            _spools[path] = Spool(path)
        return _spools[path]


def flush_once(buffer, *, max_events: int = 100_000) -> FlushStats:
    """Read what is buffered (up to max_events), insert it, commit it. Raises while CH is down."""
    stats = FlushStats()
    for batch in buffer.read(max_events):
        stats.read += len(batch.records)
        stats.inserted += insert_records(batch.records, dedup_token=batch.token)
        batch.commit()
        stats.batches += 1
    return stats


def run_forever(stop_event: threading.Event, *, buffer=None, idle_wait: float = 0.2,
                max_events: int = 100_000) -> None:
    buffer = buffer or get_buffer()
    backoff = 0.5
    while not stop_event.is_set():
        try:
            stats = flush_once(buffer, max_events=max_events)
        except ClickHouseUnavailable as exc:
            log.warning("flusher: ClickHouse unavailable (%s); retrying in %.1fs", str(exc)[:200], backoff)
            stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        except Exception:
            # Redis hiccup or a bug: keep the events (nothing was committed) and try again later.
            log.exception("flusher: unexpected error; retrying in %.1fs", backoff)
            stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        backoff = 0.5
        if stats.read == 0:
            stop_event.wait(idle_wait)
        elif stats.inserted:
            log.debug("flusher: %d events inserted (%d read)", stats.inserted, stats.read)


def drain(buffer=None, *, timeout: float = 60.0) -> FlushStats:
    """Flush until the buffer is empty (tests, benchmarks, shutdown)."""
    buffer = buffer or get_buffer()
    total = FlushStats()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = flush_once(buffer)
        total.batches += stats.batches
        total.read += stats.read
        total.inserted += stats.inserted
        if stats.read == 0:
            break
    return total
