"""The durable buffer between the collector's 202 and ClickHouse.

One buffered *entry* is one accepted request of one shop: a JSON array of normalized records
(``rows.normalize`` output) and a small header (``Entry``: shop, count, first and last
created_at, event types). The flusher works from the headers and hands the arrays to ClickHouse
as they are, so no record is parsed in Python on the way in (docs/benchmarks.md#flusher).
Two implementations, same interface:

- ``RedisStreamBuffer`` (production, REDIS_URL set): XADD to ``untitle:events:{shard}``
  (shard = client_id % COLLECTOR_SHARDS). The collector answers 202 after XADD returns, so the
  durability is Redis's: run it with ``appendonly yes`` (``appendfsync everysec`` loses at most
  ~1 s of entries on a power cut; ``always`` loses none at some throughput cost). The flusher
  reads through a consumer group, XACKs + XDELs after the insert and XAUTOCLAIMs entries a
  dead flusher left pending.
- ``Spool`` (embedded run, no Redis): append-only segment files under VAR_DIR/spool, one per
  writing process; a request's entry is written and fsynced before 202, concurrent requests
  share one fsync (group commit). The flusher keeps a committed byte offset per segment and
  deletes a segment once it is closed and fully flushed.

``read(max_events)`` returns ``Batch``es; each has a stable ``token`` (same entries -> same
token, used as ClickHouse insert_deduplication_token) and ``commit()`` to call after the insert.
"""
from __future__ import annotations

import logging
import mmap
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import orjson

log = logging.getLogger(__name__)

SEGMENT_BYTES = 64 * 1024 * 1024


class BufferUnavailable(RuntimeError):
    """The buffer could not take the entry; the collector answers 503 and nothing is accepted."""


class Entry:
    """One buffered request: its records as a JSON array, and what the flusher needs without
    parsing them (which shop, how many, the created_at span, the event types).

    ``first``/``last`` are created_at in the table's text form ("YYYY-MM-DD HH:MM:SS.ffffff"),
    which sorts as time. A plain slotted class: the flusher makes ~20,000 of these a second.
    """

    __slots__ = ("data", "client_id", "count", "first", "last", "types")

    def __init__(self, data: bytes, client_id: int, count: int, first: str, last: str, types):
        self.data = data
        self.client_id = client_id
        self.count = count
        self.first = first
        self.last = last
        self.types = types

    def records(self) -> list[dict]:
        return orjson.loads(self.data)


def entry_header(records: list[dict]) -> bytes:
    """The header stored beside an entry's array. An entry holds one shop's records."""
    client_id = records[0]["client_id"]
    times = [r["created_at"] for r in records]
    types = set()
    for rec in records:
        if rec["client_id"] != client_id:
            raise ValueError("a buffered entry holds one shop's events")
        types.add(rec["event_type"])
    return orjson.dumps({"c": client_id, "n": len(records), "lo": min(times), "hi": max(times),
                         "t": sorted(types)})


def make_entry(data: bytes, header: bytes | None = None) -> Entry:
    """An Entry from its stored parts; an entry written before headers existed is parsed."""
    head = orjson.loads(header if header else entry_header(orjson.loads(data)))
    return Entry(data, head["c"], head["n"], head["lo"], head["hi"], head["t"])


@dataclass
class Batch:
    token: str
    entries: list[Entry]
    commit: Callable[[], None]

    @property
    def count(self) -> int:
        return sum(e.count for e in self.entries)

    @property
    def records(self) -> list[dict]:
        """Every record, parsed (tests and the slow paths; the flusher does not need them)."""
        return [rec for e in self.entries for rec in e.records()]

    def records_of(self, event_types) -> list[dict]:
        """The records of these event types, parsing only the entries that hold any."""
        wanted = set(event_types)
        return [rec for e in self.entries if wanted.intersection(e.types)
                for rec in e.records() if rec["event_type"] in wanted]


# --------------------------------------------------------------------------------------------
# Spool: embedded mode
# --------------------------------------------------------------------------------------------
class Spool:
    def __init__(self, directory: str | os.PathLike, *, segment_bytes: int = SEGMENT_BYTES,
                 fsync: bool = True):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self._cv = threading.Condition()
        self._pending: list[bytes] = []
        self._enqueued = 0
        self._durable = 0
        self._failed: dict[int, BaseException] = {}
        self._flushing = False
        self._file = None
        self._path: Path | None = None
        self._pid = None
        # Reader side: how far read() has handed out, ahead of the committed offsets, so the
        # flusher can parse the next batch while the previous one is being inserted.
        self._cursor: dict[str, int] = {}

    # ---- writer side ----------------------------------------------------------------------
    def _open_segment(self) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}"
        self._path = self.dir / f"{name}.open"
        self._file = open(self._path, "ab", buffering=0)
        self._pid = os.getpid()
        if self.fsync:
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def _close_segment(self) -> None:
        if self._file is not None:
            self._file.close()
            os.replace(self._path, self._path.with_suffix(".seg"))
        self._file = None
        self._path = None

    def _write(self, chunks: list[bytes]) -> None:
        if self._file is None or self._pid != os.getpid():
            self._open_segment()
        data = b"".join(chunks)
        view = memoryview(data)
        while view:
            n = self._file.write(view)
            view = view[n:]
        if self.fsync:
            os.fsync(self._file.fileno())
        if self._file.tell() >= self.segment_bytes:
            self._close_segment()

    def append(self, records: list[dict]) -> None:
        """Write one entry and return once it is on disk (fsynced). Thread-safe.

        A line is the entry's header, a tab, its JSON array (orjson never writes a raw tab or
        newline, so both stay separators).
        """
        line = entry_header(records) + b"\t" + orjson.dumps(records) + b"\n"
        with self._cv:
            self._pending.append(line)
            self._enqueued += 1
            mine = self._enqueued
            while self._durable < mine:
                if mine in self._failed:
                    raise BufferUnavailable(str(self._failed.pop(mine)))
                if self._flushing:
                    self._cv.wait()
                    continue
                # Leader: write everything queued so far with one fsync (group commit).
                self._flushing = True
                batch, self._pending = self._pending, []
                first, upto = self._durable + 1, self._enqueued
                self._cv.release()
                error = None
                try:
                    self._write(batch)
                except BaseException as exc:  # disk full, EIO: none of these entries is accepted
                    error = exc
                    try:
                        self._close_segment()
                    except Exception:
                        self._file = None
                finally:
                    self._cv.acquire()
                    self._flushing = False
                if error is not None:
                    for seq in range(first, upto + 1):
                        self._failed[seq] = error
                self._durable = upto
                self._cv.notify_all()
            if mine in self._failed:
                raise BufferUnavailable(str(self._failed.pop(mine)))

    def close(self) -> None:
        with self._cv:
            self._close_segment()

    # ---- reader side (the flusher, in the one embedded process) ---------------------------
    @staticmethod
    def _offset_path(seg: Path) -> Path:
        return seg.with_name(seg.name.split(".")[0] + ".offset")

    def _read_offset(self, seg: Path) -> int:
        try:
            return int(self._offset_path(seg).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _write_offset(self, seg: Path, offset: int) -> None:
        path = self._offset_path(seg)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(str(offset))
            f.flush()
            if self.fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)

    def _writer_gone(self, seg: Path) -> bool:
        if seg.suffix == ".seg":
            return True
        if self._path is not None and seg == self._path:
            return False
        pid = int(seg.stem.split("-")[1])
        if pid == os.getpid():
            # An .open file of ours that is not our current segment: left by a pre-fork parent.
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def segments(self) -> list[Path]:
        return sorted([*self.dir.glob("*.open"), *self.dir.glob("*.seg")], key=lambda p: p.stem)

    def read(self, max_events: int = 100_000) -> list[Batch]:
        batches: list[Batch] = []
        total = 0
        for seg in self.segments():
            if total >= max_events:
                break
            committed = self._read_offset(seg)
            start = max(committed, self._cursor.get(seg.stem, 0))
            try:
                data = _map(seg)
            except FileNotFoundError:
                continue  # renamed .open -> .seg meanwhile; picked up next round
            end_nl = data.rfind(b"\n", start) if data is not None else -1
            if end_nl < start:
                if data is not None:
                    data.close()
                # Closed and flushed (or a crashed writer's torn tail) -- but only once every
                # batch handed out from it is committed: an in-flight one may still be retried.
                if start == committed and self._writer_gone(seg):
                    self._drop(seg)
                continue
            entries: list[Entry] = []
            pos = start
            count = 0
            while pos <= end_nl and total + count < max_events:
                nl = data.find(b"\n", pos)
                try:
                    entry = _spool_entry(data[pos:nl])
                    entries.append(entry)
                    count += entry.count
                except (orjson.JSONDecodeError, KeyError, TypeError, IndexError):
                    # Only a torn write (crash mid-append, never acknowledged) can look like this.
                    log.warning("spool %s: skipping an unreadable entry at byte %d", seg.name, pos)
                pos = nl + 1
            data.close()
            end = pos
            self._cursor[seg.stem] = end
            total += count
            batches.append(Batch(
                token=f"spool:{seg.stem}:{start}:{end}", entries=entries,
                commit=lambda seg=seg, end=end: self._commit(seg, end),
            ))
        return batches

    def rewind(self) -> None:
        """Forget what was read but not committed (after a failed insert): read it again."""
        self._cursor.clear()

    def _commit(self, seg: Path, end: int) -> None:
        # The writer may have closed the segment (.open -> .seg) since it was read.
        current = seg if seg.exists() else seg.with_suffix(".seg")
        try:
            size = current.stat().st_size
        except FileNotFoundError:
            return
        self._write_offset(current, end)
        if end >= size and self._writer_gone(current):
            self._drop(current)

    def _drop(self, seg: Path) -> None:
        self._cursor.pop(seg.stem, None)
        for p in (seg, self._offset_path(seg)):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    def pending_events(self) -> int:
        """Events written but not yet flushed (for tests and status pages)."""
        n = 0
        for seg in self.segments():
            start = self._read_offset(seg)
            with open(seg, "rb") as f:
                f.seek(start)
                for line in f:
                    if line.endswith(b"\n"):
                        n += _spool_entry(line[:-1]).count
        return n


def _map(seg: Path) -> mmap.mmap | None:
    """The segment's bytes, mapped (None when empty): only the lines handed out are copied."""
    with open(seg, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return None
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _spool_entry(line: bytes) -> Entry:
    """A spool line: header, tab, JSON array; a line of only an array is from before headers."""
    if line[:1] == b"[":
        return make_entry(line)
    tab = line.index(b"\t")
    return make_entry(line[tab + 1:], line[:tab])


# --------------------------------------------------------------------------------------------
# Redis stream: production
# --------------------------------------------------------------------------------------------
STREAM_PREFIX = "untitle:events:"
GROUP = "flushers"

# Rate limit (token bucket per ingest key) and XADD in one round trip; a throttled request
# never reaches the stream. Returns 0 when added, else the milliseconds to wait.
APPEND_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
if rate > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local b = redis.call('HMGET', KEYS[1], 'tok', 'ts')
  local tok = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  tok = math.min(burst, tok + (now - ts) * rate / 1000)
  if tok < 1 then
    return math.max(1, math.ceil((1 - tok) * 1000 / rate))
  end
  redis.call('HSET', KEYS[1], 'tok', tok - 1, 'ts', now)
  redis.call('PEXPIRE', KEYS[1], 60000)
end
redis.call('XADD', KEYS[2], '*', 'd', ARGV[3], 'm', ARGV[4])
return 0
"""


def stream_key(shard: int) -> str:
    return f"{STREAM_PREFIX}{shard}"


def lock_key(shard: int) -> str:
    return f"untitle:flusher-lock:{shard}"


# Extend or delete the lock only while it still names us: after an expiry another flusher may
# own it, and a plain PEXPIRE / DEL would take it away from that one.
_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisStreamBuffer:
    """Reader side (the flusher) and a sync writer; the collector uses its own async client."""

    def __init__(self, url: str, *, shards: int = 1, consumer: str | None = None,
                 claim_idle_ms: int = 30_000, lock_ttl_ms: int = 5_000):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.shards = shards
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.claim_idle_ms = claim_idle_ms
        # Short, renewed while held (flusher.LockKeeper) and released on exit: a killed
        # flusher's shards are free again within seconds, a stopped one's at once.
        self.lock_ttl_ms = lock_ttl_ms
        self._held: set[int] = set()
        self._renew = self.redis.register_script(_RENEW_LUA)
        self._release = self.redis.register_script(_RELEASE_LUA)
        self._groups_ready: set[str] = set()
        self._append = self.redis.register_script(APPEND_LUA)
        # Re-read our own pending entries (XREADGROUP id 0) at start and after a failed insert;
        # otherwise only new ones, so reading ahead never hands out an in-flight batch twice.
        self._recovered: set[str] = set()

    def append(self, records: list[dict], *, client_id: int | None = None) -> None:
        cid = client_id if client_id is not None else records[0]["client_id"]
        key = stream_key(cid % self.shards)
        try:
            self._append(keys=["-", key], args=[0, 0, orjson.dumps(records), entry_header(records)])
        except Exception as exc:
            raise BufferUnavailable(str(exc)) from exc

    def _ensure_group(self, key: str) -> None:
        if key in self._groups_ready:
            return
        import redis

        try:
            self.redis.xgroup_create(key, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_ready.add(key)

    def _lock(self, shard: int) -> bool:
        """One flusher per shard at a time keeps event_id dedup exact (see store.py)."""
        key = lock_key(shard)
        if self.redis.set(key, self.consumer, nx=True, px=self.lock_ttl_ms) or \
                self._renew(keys=[key], args=[self.consumer, self.lock_ttl_ms]):
            self._held.add(shard)
            return True
        self._held.discard(shard)
        return False

    def renew_locks(self) -> None:
        """Extend the shards this flusher holds (only while they are still ours)."""
        for shard in list(self._held):
            if not self._renew(keys=[lock_key(shard)], args=[self.consumer, self.lock_ttl_ms]):
                self._held.discard(shard)

    def release_locks(self) -> None:
        """Give the shards back (a clean stop), so another flusher takes over without waiting."""
        for shard in list(self._held):
            self._release(keys=[lock_key(shard)], args=[self.consumer])
            self._held.discard(shard)

    def read(self, max_events: int = 100_000, block_ms: int = 0) -> list[Batch]:
        batches = []
        for shard in range(self.shards):
            key = stream_key(shard)
            if not self._lock(shard):
                continue
            self._ensure_group(key)
            # A dead flusher's entries (other consumer name) become ours after claim_idle_ms.
            claimed = self.redis.xautoclaim(key, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=1000)
            if claimed and len(claimed) > 1 and claimed[1]:
                self._recovered.discard(key)  # they are in our pending list now: read them
            # Our own pending entries first (a retry after a failed insert), then new ones.
            count = max(1, max_events // 20)
            entries = []
            if key not in self._recovered:
                resp = self.redis.xreadgroup(GROUP, self.consumer, {key: "0"}, count=count)
                entries = resp[0][1] if resp and resp[0][1] else []
                if not entries:
                    self._recovered.add(key)
            if not entries:
                resp = self.redis.xreadgroup(GROUP, self.consumer, {key: ">"}, count=count,
                                             block=block_ms or None)
                entries = resp[0][1] if resp else []
            if not entries:
                continue
            items: list[Entry] = []
            ids = []
            for entry_id, fields in entries:
                ids.append(entry_id)
                data = fields.get(b"d")
                if data:
                    items.append(make_entry(data, fields.get(b"m")))
            token = f"redis:{key}:{ids[0].decode()}:{ids[-1].decode()}:{len(ids)}"
            batches.append(Batch(token=token, entries=items,
                                 commit=lambda key=key, ids=ids: self._commit(key, ids)))
        return batches

    def rewind(self) -> None:
        self._recovered.clear()

    def _commit(self, key: str, ids: list) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(key, GROUP, *ids)
        pipe.xdel(key, *ids)
        pipe.execute()

    def pending_events(self) -> int:
        n = 0
        for shard in range(self.shards):
            for _id, fields in self.redis.xrange(stream_key(shard)):
                n += make_entry(fields[b"d"], fields.get(b"m")).count
        return n
