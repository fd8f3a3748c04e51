"""The flusher: moves buffered events into ClickHouse, retrying with backoff while it is down.

``run_forever(stop_event)`` is the loop. The embedded run starts it as a thread of
``manage.py serve`` (settings.EMBEDDED_THREADS); production runs ``manage.py flush_events`` as
its own process (or several: each buffer shard is flushed by one process at a time).
A batch is committed in the buffer only after ClickHouse took it, so a crash anywhere leaves
the batch to be inserted again, and store.insert_block makes that repeat a no-op.

The flusher never parses the events: each buffered entry carries a header (shop, count,
created_at span, event types, see buffer.Entry), and the entries' JSON arrays are joined and
handed to ClickHouse as they are (docs/benchmarks.md#flusher).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from events.clickhouse import ClickHouseUnavailable, reset_clients
from events.ingest import store

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

    from events.ingest.buffer import RedisStreamBuffer

    kind = settings.COLLECTOR_BUFFER or ("redis" if settings.REDIS_URL else "spool")
    if kind == "redis":
        return RedisStreamBuffer(settings.REDIS_URL, shards=settings.COLLECTOR_SHARDS,
                                 lock_ttl_ms=int(settings.COLLECTOR_FLUSHER_LOCK_TTL * 1000))
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


def _join(entries) -> list:
    """The entries' JSON arrays (orjson's, no outer whitespace) as the pieces of one array.

    No parsing and no copy: the pieces are views that the store writes out one by one.
    """
    pieces: list = [b"["]
    for entry in entries:
        if entry.count:
            pieces.append(memoryview(entry.data)[1:-1])
            pieces.append(b",")
    if len(pieces) == 1:
        return [b"[]"]
    pieces[-1] = b"]"
    return pieces


def _insert(entries) -> int:
    return store.insert_block(_join(entries), client_ids={e.client_id for e in entries},
                              event_types={t for e in entries for t in e.types},
                              spans=[(e.first, e.last) for e in entries if e.count])


def _readable(entries) -> list:
    """The entries whose array parses; an unreadable one is logged and left out."""
    good = []
    for entry in entries:
        try:
            records = entry.records()
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise ValueError("not an array of objects")
        except ValueError:
            log.warning("flusher: skipping an unreadable buffered entry of client %s (%d bytes)",
                        entry.client_id, len(entry.data))
            continue
        good.append(entry)
    return good


def _lane_job(entries) -> int:
    """One lane's share of a batch, inserted in its own thread and ClickHouse connection.

    When ClickHouse refuses the block, the entries are checked one by one: if one cannot be
    read (a damaged buffer line, never a normal case) the rest go in without it instead of
    the whole batch being retried forever; otherwise the store is the problem and it is
    retried with backoff.
    """
    try:
        return _insert(entries)
    except ClickHouseUnavailable:
        good = _readable(entries)
        if len(good) == len(entries):
            raise
        return _insert(good) if good else 0


class Flusher:
    """Moves batches from a buffer into ClickHouse with the work overlapped.

    Each batch is split into ``lanes`` by client_id; each lane has its own thread and
    ClickHouse connection and does its lookup of existing event_ids and its INSERT there, so
    the lanes' inserts run side by side. All of one shop's events go to one lane, so the
    lookup still sees every earlier insert of that shop: a duplicate spread over two batches is
    caught. While the lanes insert batch N, the main thread reads and parses batch N+1; batch
    N is committed once every lane has it, before N+1's lanes start. On any failure the buffer
    rewinds to the last commit and the error goes to the caller (run_forever backs off).
    """

    def __init__(self, buffer, *, max_events: int = 100_000, lanes: int = 2):
        self.buffer = buffer
        self.max_events = max_events
        self.lanes = max(1, lanes)
        self._pools = [ThreadPoolExecutor(1, thread_name_prefix=f"flusher-lane{i}") for i in range(self.lanes)]

    def close(self) -> None:
        # Each lane thread holds its own ClickHouse connection (one per thread): close them.
        for pool in self._pools:
            try:
                pool.submit(reset_clients).result(timeout=30)
            except Exception:  # shutting down: a connection that will not close must not stop the rest
                log.warning("flusher: could not close a lane's ClickHouse connection", exc_info=True)
            pool.shutdown(wait=True)

    def _submit(self, batch):
        parts: list[list] = [[] for _ in range(self.lanes)]
        lanes = self.lanes
        for entry in batch.entries:
            parts[entry.client_id % lanes].append(entry)
        return [self._pools[i].submit(_lane_job, part) for i, part in enumerate(parts) if part]

    def flush(self, *, rounds: int = 1) -> FlushStats:
        """Read up to ``rounds`` times (each up to max_events) and insert everything read.

        Up to two batches are in flight: batch N+1 is queued on the lanes before batch N is
        awaited, so a lane that finished its share of N goes straight on with N+1 instead of
        idling until the other lane is done. Each lane still runs its shops' inserts in order,
        and batches are committed in order, each once every lane has it.
        """
        stats = FlushStats()
        inflight: deque = deque()
        try:
            for _ in range(rounds):
                batches = self.buffer.read(self.max_events)  # overlaps the in-flight inserts
                for batch in batches:
                    stats.read += batch.count
                    inflight.append((self._submit(batch), batch))
                    if len(inflight) > 1:
                        self._finish(inflight.popleft(), stats)
                if not batches:
                    break
            while inflight:
                self._finish(inflight.popleft(), stats)
        except BaseException:
            for futures, _batch in inflight:
                for future in futures:
                    try:
                        future.result()  # let them end before reading again; nothing after the last commit counts
                    except BaseException:
                        pass
            self.buffer.rewind()
            raise
        return stats

    @staticmethod
    def _finish(inflight, stats: FlushStats) -> None:
        futures, batch = inflight
        inserted = 0
        error = None
        for future in futures:
            try:
                inserted += future.result()
            except BaseException as exc:  # wait for every lane, then report the first failure
                error = error or exc
        if error is not None:
            raise error
        stats.inserted += inserted
        batch.commit()
        stats.batches += 1
        run_inserted_hooks(batch)


_hooks: tuple[tuple, list] = ((), [])


def inserted_hooks() -> list:
    """settings.EVENT_INSERTED_HOOKS ("module:function"), imported once per distinct setting."""
    global _hooks
    from django.conf import settings
    from django.utils.module_loading import import_string

    paths = tuple(settings.EVENT_INSERTED_HOOKS)
    if _hooks[0] != paths:
        _hooks = (paths, [import_string(path.replace(":", ".")) for path in paths])
    return _hooks[1]


def run_inserted_hooks(batch) -> None:
    """Tell the registered hooks about a batch that is now committed (e.g. customers rescoring).

    A hook gets the ``buffer.Batch``; ``batch.records_of(event_types)`` parses only the entries
    holding those types, so a hook interested in orders does not parse every page view.
    Called after the commit on purpose: a hook that fails or is slow can neither lose nor
    re-insert events, it only logs. Hooks must hand real work to a queue, not do it here.
    """
    for hook in inserted_hooks():
        try:
            hook(batch)
        except Exception:
            log.exception("flusher: inserted-events hook %r failed; events are stored regardless", hook)


def flush_once(buffer, *, max_events: int = 100_000) -> FlushStats:
    """Read what is buffered (up to max_events), insert it, commit it. Raises while CH is down."""
    flusher = Flusher(buffer, max_events=max_events)
    try:
        return flusher.flush()
    finally:
        flusher.close()
        release = getattr(buffer, "release_locks", None)
        if release is not None:
            release()


class LockKeeper:
    """Renews the buffer's shard locks from its own thread while the flusher runs, and releases
    them when it stops.

    The loop itself cannot renew them: one insert or a ClickHouse backoff may outlast the lock's
    few seconds, and a second flusher must not start on the shard meanwhile. A buffer without
    locks (the spool has a single reader by construction) needs no keeper.
    """

    def __init__(self, buffer):
        self.buffer = buffer
        self._stop = threading.Event()
        self._thread = None
        if hasattr(buffer, "renew_locks"):
            self._thread = threading.Thread(target=self._run, name="flusher-lock", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        interval = self.buffer.lock_ttl_ms / 3000
        while not self._stop.wait(interval):
            try:
                self.buffer.renew_locks()
            except Exception as exc:  # Redis away: the next read takes the lock again or waits
                log.warning("flusher: could not renew the shard lock: %s", str(exc)[:200])

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.buffer.release_locks()
        except Exception as exc:
            log.warning("flusher: could not release the shard lock (it expires by itself): %s", str(exc)[:200])


def run_forever(stop_event: threading.Event, *, buffer=None, idle_wait: float = 0.2,
                max_events: int = 100_000) -> None:
    """Flush until ``stop_event`` is set; the shard locks are released on the way out."""
    buffer = buffer or get_buffer()
    flusher = Flusher(buffer, max_events=max_events)
    keeper = LockKeeper(buffer)
    backoff = 0.5
    try:
        while not stop_event.is_set():
            try:
                stats = flusher.flush(rounds=20)
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
    finally:
        flusher.close()
        keeper.close()


def drain(buffer=None, *, timeout: float = 60.0, max_events: int = 100_000, lanes: int = 2) -> FlushStats:
    """Flush until the buffer is empty (tests, benchmarks, shutdown)."""
    buffer = buffer or get_buffer()
    total = FlushStats()
    deadline = time.monotonic() + timeout
    flusher = Flusher(buffer, max_events=max_events, lanes=lanes)
    keeper = LockKeeper(buffer)
    try:
        while time.monotonic() < deadline:
            stats = flusher.flush(rounds=50)
            total.batches += stats.batches
            total.read += stats.read
            total.inserted += stats.inserted
            if stats.read == 0:
                break
    finally:
        flusher.close()
        keeper.close()
    return total
