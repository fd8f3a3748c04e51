"""Audience live size: the builder's count (+ 20-row sample) for typical rule sets on a large shop.

    .venv/bin/python bench/audience_size.py [--events 10000000] [--days 60] [--reps 7] [--write]

Generates synthetic traffic with events.generate (the generator behind ``manage.py
generate_events``) into a fresh chDB: the measured shop gets ``--events`` events, a second shop a
tenth (so the client predicate has something to skip), merged to one part per partition. Each rule
set is compiled exactly as the API does (rules -> IR -> ``compile_audience_size``) and run with
the product's read settings: once to warm up, then ``--reps`` times cold (no result cache).
Side by side, the same rules as a full audience list (``compile_query``, what the ask page fetches,
up to 100,000 rows). The cached path is timed as the API runs it on a hit: rules -> IR -> sha256
key -> a GET from Redis (``--redis``, default redis://127.0.0.1:6379/8; skipped if unreachable).
``--write`` replaces the ``Audience live size`` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generated_shop  # noqa: E402  (after the path set-up)
from generated_shop import load, schema_statements  # noqa: E402

RULE_SETS = {
    "장바구니 담고 주문 안 함 (7일)": {"op": "and", "items": [{"filter": "cart_no_order", "params": {"days": 7}}]},
    "상품 1 2회 이상 조회 (14일)": {"op": "and", "items": [
        {"filter": "viewed_product", "params": {"product_ids": ["1"], "min_count": 2, "days": 14}}]},
    "주문 2회 이상 (60일)": {"op": "and", "items": [{"filter": "order_count", "params": {"min_count": 2, "days": 60}}]},
    "총 구매 10만원 이상 (30일)": {"op": "and", "items": [
        {"filter": "total_spend", "params": {"min_amount": 100000, "days": 30}}]},
    "모바일 + 카테고리 3 조회 (7일)": {"op": "and", "items": [
        {"filter": "device", "params": {"device_types": ["mobile"], "days": 7}},
        {"filter": "viewed_category", "params": {"category_ids": ["3"], "days": 7}}]},
    "휴면: 60일 중 최근 14일 방문 없음": {"op": "and", "items": [
        {"filter": "inactive", "params": {"days": 14, "lookback": 60}}]},
    "'원피스' 검색 (30일)": {"op": "and", "items": [{"filter": "searched", "params": {"keywords": ["원피스"], "days": 30}}]},
    "회원 + 카테고리 2 상품 구매 (30일)": {"op": "and", "items": [
        {"filter": "member", "params": {}}, {"filter": "bought_category", "params": {"category_ids": ["2"], "days": 30}}]},
    "캠페인 summer_sale 유입 (60일)": {"op": "and", "items": [
        {"filter": "from_campaign", "params": {"utm_campaign": ["summer_sale"], "days": 60}}]},
    "(관심상품 또는 장바구니) 그리고 주문 안 함 (7일)": {"op": "and", "items": [
        {"op": "or", "items": [{"filter": "wishlisted", "params": {"days": 7}},
                               {"filter": "cart_added", "params": {"days": 7}}]},
        {"filter": "order_count", "params": {"days": 7}, "not": True}]},
}




def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def measure(client, *, shop: int, today: date, reps: int, redis_url: str | None) -> dict:
    from events.clickhouse import READ_SETTINGS
    from events.sql import MEMBER_IDS_OF_UUIDS as MEMBER_IDS_SQL
    from insights.audience import rules as R
    from insights.query.compiler import compile_audience_size, compile_query

    cache = None
    if redis_url:
        try:
            import redis

            cache = redis.Redis.from_url(redis_url)
            cache.ping()
        except Exception as exc:  # the cached figure is optional
            print(f"(no Redis at {redis_url}: {exc}; cached path not measured)", file=sys.stderr)
            cache = None
    out = []
    for name, rules in RULE_SETS.items():
        c = R.to_query(rules)
        cq = compile_audience_size(c.query, client_id=shop, timezone="Asia/Seoul", today=today, sample=20)
        full = compile_query(c.query, client_id=shop, timezone="Asia/Seoul", today=today)
        client.query(cq.sql, parameters=cq.params, settings=READ_SETTINGS)  # warm-up
        cold, lists, size, members, full_rows = [], [], 0, 0, 0
        for _ in range(reps):
            t = time.perf_counter()
            res = client.query(cq.sql, parameters=cq.params, settings=READ_SETTINGS)
            size, members, sample = res.result_rows[0]
            if sample:  # the sample's member ids: the second, small query the API runs
                client.query(MEMBER_IDS_SQL, parameters={"client_id": shop, "uuids": [str(u) for u in sample]},
                             settings=READ_SETTINGS)
            cold.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            full_rows = len(client.query(full.sql, parameters=full.params, settings=READ_SETTINGS).result_rows)
            lists.append((time.perf_counter() - t) * 1000)
        hits = []
        if cache is not None:
            key = "bench:audience:" + R.ir_hash(c.query, client_id=shop, day=today.isoformat())
            cache.set(key, pickle.dumps({"size": size, "members": members, "sample": [["x", "y"]] * 20}), ex=300)
            for _ in range(reps * 5):
                t = time.perf_counter()
                q = R.to_query(rules).query  # the API validates and hashes the rules on every call
                pickle.loads(cache.get("bench:audience:" + R.ir_hash(q, client_id=shop, day=today.isoformat())))
                hits.append((time.perf_counter() - t) * 1000)
            cache.delete(key)
        out.append({"name": name, "cold": cold, "list": lists, "hits": hits, "size": size, "members": members,
                    "full_rows": full_rows})
    return {"results": out}


def report(m: dict, *, events: int, load_s: float, reps: int) -> str:
    rs = m["results"]
    cold = [t for r in rs for t in r["cold"]]
    lists = [t for r in rs for t in r["list"]]
    hits = [t for r in rs for t in r["hits"]]
    lines = [
        f"{events:,} events in the measured shop plus {events // 10:,} in a second shop (events.generate, 60 days), "
        f"one part per partition; {len(rs)} typical rule sets x {reps} runs after a warm-up, with the product's "
        f"read settings, on chDB in-process, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; 1-minute load "
        f"average of the 2-core machine at the end: {os.getloadavg()[0]:.1f} (other work running makes the tail "
        f"slower). Data load (generate + insert + OPTIMIZE): {load_s:.0f} s.",
        "",
        "| path | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
        f"| live size, cold (count + members + 20-visitor sample, then their member ids) | **{pct(cold, .5):.0f}** | "
        f"**{pct(cold, .95):.0f}** | {max(cold):.0f} |",
    ]
    if hits:
        lines.append(f"| live size, cached (rules -> IR -> sha256 -> Redis GET) | **{pct(hits, .5):.2f}** | "
                     f"**{pct(hits, .95):.2f}** | {max(hits):.2f} |")
    lines += [
        f"| baseline: the same rules as a full audience list (ask page, up to 100,000 rows) | {pct(lists, .5):.0f} | "
        f"{pct(lists, .95):.0f} | {max(lists):.0f} |",
        "| seed 004's figures: warehouse cache hit / miss | 50 | — | 500-2000 |",
        "",
        f"Target: under 300 ms cold for typical filters. Cold p50 / baseline p50 = "
        f"{pct(cold, .5) / max(pct(lists, .5), 0.001):.2f}x.",
        "",
        "| rule set | visitors | members | cold median ms | cold max ms | full list median ms (rows) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rs:
        lines.append(f"| {r['name']} | {r['size']:,} | {r['members']:,} | {statistics.median(r['cold']):.0f} | "
                     f"{max(r['cold']):.0f} | {statistics.median(r['list']):.0f} ({r['full_rows']:,}) |")
    lines += ["", "Reproduce: `.venv/bin/python bench/audience_size.py --events 10000000 --write`."]
    return "\n".join(lines)


def write_section(text: str) -> None:
    generated_shop.write_section(ROOT / "docs" / "benchmarks.md", "audience-size", "Audience live size", text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--end", type=date.fromisoformat, default=date(2025, 8, 9))
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--data", help="keep the generated chDB here and reuse it on the next run (no reload)")
    args = ap.parse_args()

    import clickhouse_connect

    path = args.data or tempfile.mkdtemp(prefix="untitle-bench-audience-")
    reuse = bool(args.data) and Path(args.data, "metadata").exists()
    try:
        client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
        if reuse:
            events = client.query("SELECT count() FROM event WHERE client_id = 1").result_rows[0][0]
            load_s = float("nan")
            for stmt in schema_statements():  # new migrations since the data was made
                client.command(stmt)
        else:
            events, load_s = load(client, events=args.events, days=args.days, end=args.end, shop=1, other=2)
        m = measure(client, shop=1, today=args.end, reps=args.reps, redis_url=args.redis or None)
        text = report(m, events=events, load_s=load_s, reps=args.reps)
        print(text)
        if args.write:
            write_section(text)
    finally:
        if not args.data:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
