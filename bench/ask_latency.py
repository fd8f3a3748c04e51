"""Ask latency: offline engine end to end (parse + compile + run + summary) on a large shop.

    .venv/bin/python bench/ask_latency.py [--events 10000000] [--days 60] [--reps 7] [--write]

Generates synthetic traffic with events.generate (the generator behind ``manage.py
generate_events``) into a fresh chDB: the measured shop gets ``--events`` events, a second shop a
tenth of that (so the client predicate has something to skip). Merges to one part per partition
(OPTIMIZE FINAL, a table at rest), then asks each question once to warm up and ``--reps`` times
measured, with the product's read settings (readonly, limits). ``--write`` replaces the
``Ask latency`` section of docs/benchmarks.md. No Django, no network.
"""
from __future__ import annotations

import argparse
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
from generated_shop import load  # noqa: E402

QUESTIONS = [
    "최근 7일 동안 상품 3을 2회 이상 조회한 사람",
    "어제 방문자 중 메인 페이지를 조회한 비율",
    "장바구니에 담았지만 구매하지 않은 사람",
    "지난주 가장 많이 본 상품 5개",
    "이번 달 일별 주문 수",
    "최근 30일 상품별 매출",
    "'원피스'를 검색한 사람 몇 명",
    "상품 1을 보고 30분 이내에 장바구니에 담은 사람",
    "최근 14일 상품 조회에서 구매까지 전환율",
    "지난달 객단가",
    "오늘 시간대별 방문자 수",
    "한 번도 구매하지 않은 방문자",
]


class _Rows:
    def __init__(self, result):
        self.columns = list(result.column_names)
        self.rows = result.result_rows
        s = getattr(result, "summary", None) or {}
        self.rows_read = int(s.get("read_rows", 0) or 0)




def measure(client, *, shop: int, today: date, reps: int) -> list[dict]:
    from events.clickhouse import READ_SETTINGS
    from insights.query.pipeline import OfflineEngine, answer

    def run(sql, params):
        return _Rows(client.query(sql, parameters=params, settings=READ_SETTINGS))

    engine, out = OfflineEngine(), []
    for q in QUESTIONS:
        answer(q, client_id=shop, timezone="Asia/Seoul", today=today, engine=engine, run=run)  # warm-up
        times, front, last = [], [], None
        for _ in range(reps):
            t = time.perf_counter()
            last = answer(q, client_id=shop, timezone="Asia/Seoul", today=today, engine=engine, run=run)
            times.append((time.perf_counter() - t) * 1000)
            front.append(last.timings.get("parse_ms", 0) + last.timings.get("compile_ms", 0))
        out.append({"question": q, "kind": last.kind, "times": times, "front": front,
                    "rows": len(last.rows), "summary": last.summary})
    return out


def report(results: list[dict], *, events: int, load_s: float, reps: int) -> str:
    all_t = sorted(t for r in results for t in r["times"])
    fronts = sorted(t for r in results for t in r["front"])

    def p(xs, q):
        return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]

    lines = [
        f"Offline engine end to end (parse + compile + run on chDB + summary), {events:,} events in the "
        f"measured shop plus {events // 10:,} in a second shop, one part per partition, "
        f"{len(QUESTIONS)} questions x {reps} runs after a warm-up, 2-core shared machine. "
        f"Data load (generate + insert + OPTIMIZE): {load_s:.0f} s.",
        "",
        f"- **p50 {p(all_t, .5):.0f} ms**, p95 {p(all_t, .95):.0f} ms, max {all_t[-1]:.0f} ms (target p50 < 150 ms)",
        f"- parse + compile alone: p50 {p(fronts, .5):.2f} ms, max {fronts[-1]:.2f} ms",
        "",
        "| question | kind | median ms | result rows | answer |",
        "|---|---|---:|---:|---|",
    ]
    for r in results:
        lines.append(f"| {r['question']} | {r['kind']} | {statistics.median(r['times']):.0f} | "
                     f"{r['rows']:,} | {r['summary']} |")
    lines += ["", "Reproduce: `.venv/bin/python bench/ask_latency.py --events 10000000 --write`."]
    return "\n".join(lines)


def write_section(text: str) -> None:
    generated_shop.write_section(ROOT / "docs" / "benchmarks.md", "ask-latency", "Ask latency", text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--end", type=date.fromisoformat, default=date(2025, 8, 9))
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()

    import clickhouse_connect

    path = tempfile.mkdtemp(prefix="untitle-bench-ask-")
    try:
        client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
        events, load_s = load(client, events=args.events, days=args.days, end=args.end, shop=1, other=2)
        results = measure(client, shop=1, today=args.end, reps=args.reps)
        text = report(results, events=events, load_s=load_s, reps=args.reps)
        print(text)
        if args.write:
            write_section(text)
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
