"""Flusher benchmark: buffered events -> ClickHouse inserts per second, with the dedup lookup on.

    .venv/bin/python bench/flusher.py [--events 1000000] [--buffer spool|redis] [--per-entry 50]

Fills the buffer as the collector would (entries of --per-entry normalized events, times spread
over the last hour), then times ``flusher.drain`` into a fresh chDB: read, parse, look up
existing event_ids, insert, commit. Checks that ClickHouse holds exactly the events buffered.
Redis mode uses BENCH_REDIS_URL (default redis://127.0.0.1:6379/2) and FLUSHES that database.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--per-entry", type=int, default=50)
    ap.add_argument("--shops", type=int, default=8)
    ap.add_argument("--batch", type=int, default=100_000, help="events per read (flusher max_events)")
    ap.add_argument("--lanes", type=int, default=2, help="parallel insert lanes (shops split by client_id)")
    ap.add_argument("--buffer", choices=["spool", "redis"], default="spool")
    ap.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="untitle-bench-flusher-"))
    os.environ.update({
        "UNTITLE_VAR_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CLICKHOUSE_URL": f"chdb://{tmp / 'clickhouse'}", "DJANGO_SETTINGS_MODULE": "untitle.settings",
        "REDIS_URL": args.redis_url if args.buffer == "redis" else "", "COLLECTOR_BUFFER": args.buffer,
        "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from events import ch_migrate, clickhouse
    from events.ingest import flusher
    from events.ingest.buffer import RedisStreamBuffer, Spool
    from events.ingest.rows import normalize, session_id_at

    ch_migrate.migrate()
    now = datetime.now(timezone.utc)
    start = now - timedelta(hours=1)
    step = timedelta(hours=1) / args.events
    visitors = [str(uuid.uuid4()) for _ in range(max(1, args.events // 20))]
    # One visit per visitor, its id the visit's start in ms as the collector hands it out.
    start_ms = int(start.timestamp() * 1000)
    sessions = [session_id_at(start_ms + i * 7) for i in range(len(visitors))]
    if args.buffer == "redis":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        writer = RedisStreamBuffer(args.redis_url)
    else:
        writer = Spool(tmp / "spool", fsync=False)  # filling is not what is measured
    t0 = time.perf_counter()
    entry: list[dict] = []
    for i in range(args.events):
        shop = (i // args.per_entry) % args.shops + 1  # one request = one shop, as from the collector
        who = (i * 7919) % len(visitors)
        ev = {"event_type": (82, 83, 91, 41, 92)[i % 5], "uuid": visitors[who], "session_id": sessions[who],
              "product_id": str(i % 500), "category_id": str(i % 12), "price": 100 * (i % 400 + 10),
              "scroll_bucket": i % 11, "page_url": f"https://mall.cafe24.com/product/detail.html?product_no={i % 500}",
              "created_at": (start + step * i).isoformat(), "event_id": str(uuid.uuid4())}
        entry.append(normalize(shop, ev, now=now))
        if len(entry) == args.per_entry:
            writer.append(entry)
            entry = []
    if entry:
        writer.append(entry)
    if isinstance(writer, Spool):
        writer.close()
    fill_s = time.perf_counter() - t0

    buffer = flusher.get_buffer()
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        stats = prof.runcall(flusher.drain, buffer, timeout=3600, max_events=args.batch, lanes=args.lanes)
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    else:
        stats = flusher.drain(buffer, timeout=3600, max_events=args.batch, lanes=args.lanes)
    flush_s = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    # CPU of every thread of the process (ours and chDB's): what the work costs, whatever else
    # runs on the machine; wall time / CPU is how much of the two cores it kept busy.
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    stored = clickhouse.query("SELECT count() FROM event", readonly=False).rows[0][0]
    assert stored == args.events == stats.inserted, (stored, stats)
    print(f"\nflusher, buffer={args.buffer}, lanes={args.lanes}, read batch {args.batch:,}: "
          f"{args.events:,} events in entries of {args.per_entry}, "
          f"{stats.batches} inserts; buffer filled in {fill_s:.1f}s; {os.cpu_count()} cores, "
          f"load avg {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| buffer | events | seconds | events/s into ClickHouse | CPU seconds (all threads) | rows in ClickHouse |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.buffer} | {args.events:,} | {flush_s:.2f} | {args.events / flush_s:,.0f} | {cpu_s:.1f} | {stored:,} |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
