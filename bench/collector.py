"""Collector benchmark: wrk on loopback against granian or uvicorn serving events.collector.app.

    .venv/bin/python bench/collector.py [--buffer redis|spool] [--server granian|uvicorn] [--workers 2] [--duration 15]
                                        [--connections 64] [--kinds single,batch50,session]

For each kind (single-event requests, 50-event batches, session creation as in the seed's
benchmark) it runs wrk, then drains the buffer into a fresh chDB with the real flusher and checks
zero loss: rows in ClickHouse == events the collector acknowledged (202/201 as counted by wrk;
requests still in flight when wrk stops may add a few rows that wrk never counted, reported as
"unacknowledged extra"). Everything lives in a temporary directory; Redis mode uses REDIS_URL
(default redis://127.0.0.1:6379/2) and FLUSHES that database. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PER_REQUEST = {"single": 1, "batch50": 50, "session": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_wrk(out: str) -> dict:
    def num(pattern, default=0.0):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else default

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return float(m.group(1)) * scale

    return {
        "requests": int(num(r"(\d+) requests in")),
        "rps": num(r"Requests/sec:\s+([\d.]+)"),
        "non2xx": int(num(r"Non-2xx or 3xx responses: (\d+)")),
        "errors": out.count("Socket errors"),
        "p50_ms": latency("50"), "p99_ms": latency("99"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--buffer", choices=["redis", "spool"], default="redis")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--server", choices=["uvicorn", "granian"],
                    default="granian" if (ROOT / ".venv/bin/granian").exists() else "uvicorn")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keys", type=int, default=8, help="ingest keys (shops) the load is spread over")
    ap.add_argument("--kinds", default="single,batch50,session")
    ap.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/collector.py: wrk is not installed (Debian: apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="untitle-bench-collector-"))
    env = {
        **os.environ,
        "UNTITLE_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CLICKHOUSE_URL": f"chdb://{tmp / 'clickhouse'}",
        "COLLECTOR_BUFFER": args.buffer,
        "REDIS_URL": args.redis_url if args.buffer == "redis" else "",
        "DJANGO_SETTINGS_MODULE": "untitle.settings",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from events import clickhouse
    from events.ingest import flusher
    from tenants.facade import client_create

    call_command("migrate", verbosity=0)
    if args.buffer == "redis":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    results = []
    port = free_port()
    if args.server == "granian":
        cmd = [str(ROOT / ".venv/bin/granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--loop", "uvloop", "--no-ws", "--log-level", "warning",
               "events.collector.app:app"]
    else:
        cmd = [str(ROOT / ".venv/bin/uvicorn"), "events.collector.app:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--http", "httptools", "--loop", "uvloop", "--no-access-log",
               "--log-level", "warning"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for kind in args.kinds.split(","):
            shops = [client_create(name=f"bench {kind} {i}", mall_id=f"bench{kind}{i}{int(time.time())}")[0]
                     for i in range(args.keys)]
            wenv = {**env, "BENCH_KIND": kind, "BENCH_KEYS": ",".join(s.ingest_key for s in shops)}
            # Warm-up: loads the ingest keys into each worker's cache, opens Redis connections.
            warm = parse_wrk(subprocess.run(
                ["wrk", "-t1", "-c8", "-d2s", "-s", str(ROOT / "bench/collector.lua"), f"http://127.0.0.1:{port}"],
                env=wenv, capture_output=True, text=True, check=True).stdout)
            load_before = os.getloadavg()[0]
            out = subprocess.run(
                ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                 "-s", str(ROOT / "bench/collector.lua"), f"http://127.0.0.1:{port}"],
                env=wenv, capture_output=True, text=True, check=True).stdout
            w = parse_wrk(out)
            time.sleep(0.5)
            t0 = time.perf_counter()
            stats = flusher.drain(flusher.get_buffer(), timeout=600)
            flush_s = time.perf_counter() - t0
            ids = [s.id for s in shops]
            stored = clickhouse.query("SELECT count() FROM event WHERE client_id IN {ids:Array(Int32)}",
                                      {"ids": ids}).rows[0][0]
            per = EVENTS_PER_REQUEST[kind]
            acked = (w["requests"] - w["non2xx"] + warm["requests"] - warm["non2xx"]) * per
            results.append({
                "kind": kind, **w, "events_per_s": (w["requests"] - w["non2xx"]) * per / args.duration,
                "acked_events": acked, "stored_events": stored, "flush_s": round(flush_s, 2),
                "flushed": stats.inserted, "load1": round(load_before, 2),
            })
            print(json.dumps(results[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nbuffer={args.buffer} {args.server} workers={args.workers} wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| kind | requests/s | events/s | p50 ms | p99 ms | non-2xx | events acked | rows in ClickHouse | load avg |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['kind']} | {r['rps']:,.0f} | {r['events_per_s']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{r['non2xx']} | {r['acked_events']:,} | {r['stored_events']:,} | {r['load1']} |")


if __name__ == "__main__":
    main()
