"""Spike-scan cost: one client's 5-minute scan (the one ClickHouse query + the detector).

    .venv/bin/python bench/spike_scan.py [--visits 20000] [--days 30] [--shops 3] [--scans 24]

Generates ``--days`` of synthetic traffic (events.generate, ``--visits`` visits a day) for each
of ``--shops`` shops in a fresh chDB, then runs ``--scans`` scans of shop 1 at 5-minute steps
through its last day (afternoon), timing ``selectors.series_frame`` (SQL + shaping) and
``detector.detect`` separately, and reports rows read per scan: the three bounded ranges keep it
to ~11 hours of one shop however long the history and however many shops share the table.
Prints Markdown. (The precision / recall figures come from ``manage.py eval_spikes``.)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import types
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--shops", type=int, default=3)
    ap.add_argument("--scans", type=int, default=24)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="untitle-bench-spikes-"))
    os.environ.update({
        "UNTITLE_VAR_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CLICKHOUSE_URL": f"chdb://{tmp / 'clickhouse'}", "DJANGO_SETTINGS_MODULE": "untitle.settings",
        "REDIS_URL": "", "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from alerts import selectors
    from alerts.detect.detector import detect
    from events import ch_migrate, clickhouse
    from events.generate import generate

    ch_migrate.migrate()
    end = date(2026, 10, 31)
    t0 = time.perf_counter()
    total = 0
    for shop in range(1, args.shops + 1):
        for batch in generate(client_id=shop, days=args.days, visitors=args.visits, seed=shop, end=end):
            total += clickhouse.insert_arrow("event", batch.to_arrow())
    load_s = time.perf_counter() - t0
    client = types.SimpleNamespace(pk=1)
    start = datetime(2026, 10, 31, 5, 0, tzinfo=timezone.utc)      # 14:00 in Seoul
    sql_ms, det_ms, series = [], [], 0
    selectors.series_frame(client=client, at=start - timedelta(minutes=5))   # warm-up
    for i in range(args.scans):
        at = start + timedelta(minutes=5 * i)
        t = time.perf_counter()
        frame = selectors.series_frame(client=client, at=at)
        t1 = time.perf_counter()
        detect(frame)
        t2 = time.perf_counter()
        sql_ms.append((t1 - t) * 1000)
        det_ms.append((t2 - t1) * 1000)
        series = len(frame.keys)
    r = clickhouse.query("SELECT count() FROM event WHERE client_id = 1").rows[0][0]

    def p(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    print(f"{total:,} events in the table ({args.shops} shops x {args.days} days x {args.visits:,} visits/day; "
          f"shop 1: {r:,}), loaded in {load_s:.0f} s")
    print()
    print("| per scan of one shop | median | p95 |")
    print("|---|---|---|")
    print(f"| query + shaping (series_frame) | {statistics.median(sql_ms):.0f} ms | {p(sql_ms, 0.95):.0f} ms |")
    print(f"| detector (all series) | {statistics.median(det_ms):.1f} ms | {p(det_ms, 0.95):.1f} ms |")
    print(f"\n{series} series per scan, {args.scans} scans.")


if __name__ == "__main__":
    main()
