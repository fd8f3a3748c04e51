"""Storage benchmark: compressed bytes per event, our event table vs the seed's table verbatim.

    .venv/bin/python bench/storage.py [--events 1000000] [--days 30] [--shops 4]

Generates synthetic shop traffic with events.generate (the same generator and bulk insert as
``manage.py generate_events``; its ids already use the stored layout of events/ingest/rows.py,
as the collector and importers write them) into our ``event`` table in a fresh chDB, copies the
very same rows into ``event_seed`` (the seed's DDL from seeds/000-untitle.md, only the name
changed), merges both (OPTIMIZE FINAL, as a table at rest ends up) and compares bytes on disk
per event. ``--events 10000000`` is the reference size (a few minutes on 2 cores).
Prints Markdown, including the per-column breakdown.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SEED_DDL = """
create table event_seed
(
    event_id           UUID,
    client_id          Int32,
    uuid               UUID,
    event_type         UInt8,
    order_id           Nullable(String),
    tracking_id        Nullable(String),
    product_id         Nullable(String),
    product_option_id1 Nullable(String),
    product_option_id2 Nullable(String),
    product_quantity   Nullable(UInt8),
    price              Nullable(UInt32),
    amount             Nullable(UInt32),
    keyword            Nullable(String),
    sort_by            Nullable(String),
    page               Nullable(UInt8),
    board_id           Nullable(String),
    article_id         Nullable(String),
    login_id           Nullable(String),
    phone_number       Nullable(String),
    page_url           Nullable(String),
    category_id        Nullable(String),
    scroll_bucket      Nullable(UInt8),
    created_at         DateTime64(6)
)
    engine = MergeTree PARTITION BY toYYYYMMDD(created_at)
        ORDER BY (client_id, event_type, created_at, uuid)
        SETTINGS index_granularity = 8192
"""
SEED_COLUMNS = ("event_id, client_id, uuid, event_type, order_id, tracking_id, product_id, product_option_id1, "
                "product_option_id2, product_quantity, price, amount, keyword, sort_by, page, board_id, article_id, "
                "login_id, phone_number, page_url, category_id, scroll_bucket, created_at")


def table_size(clickhouse, table: str) -> dict:
    row = clickhouse.query(
        "SELECT sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes), sum(bytes_on_disk), count() "
        "FROM system.parts WHERE active AND database = currentDatabase() AND table = {t:String}", {"t": table}).rows[0]
    return {"rows": row[0], "compressed": row[1], "uncompressed": row[2], "on_disk": row[3], "parts": row[4]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--shops", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the temporary chDB directory")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="untitle-bench-storage-"))
    os.environ.update({
        "UNTITLE_VAR_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CLICKHOUSE_URL": f"chdb://{tmp / 'clickhouse'}", "DJANGO_SETTINGS_MODULE": "untitle.settings",
        "REDIS_URL": "", "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from events import ch_migrate, clickhouse
    from events.generate import generate

    ch_migrate.migrate()
    per_visit = 8.6  # events per visit of the generator, measured
    visitors = max(1, round(args.events / args.shops / args.days / per_visit))
    t0 = time.perf_counter()
    total = 0
    for shop in range(1, args.shops + 1):
        for batch in generate(client_id=shop, days=args.days, visitors=visitors, seed=shop, end=date(2026, 10, 31)):
            total += clickhouse.insert_arrow("event", batch.to_arrow())
    gen_s = time.perf_counter() - t0
    clickhouse.command(SEED_DDL)
    clickhouse.command(f"INSERT INTO event_seed ({SEED_COLUMNS}) SELECT {SEED_COLUMNS} FROM event")
    pairs = [("event", "event_seed", "generated")]
    for table in ("event", "event_seed"):
        clickhouse.command(f"OPTIMIZE TABLE {table} FINAL")

    print(f"\n{total:,} events ({args.shops} shops x {args.days} days, {visitors:,} visits/day each), "
          f"generated + inserted in {gen_s:.0f}s; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| table | bytes on disk / event | compressed column data / event | uncompressed / event | parts |")
    print("|---|---|---|---|---|")
    ratios = []
    for ours_t, seed_t, label in pairs:
        ours, seed = table_size(clickhouse, ours_t), table_size(clickhouse, seed_t)
        assert ours["rows"] == seed["rows"] == total, (ours, seed, total)
        for name, st in (("seed `event` (verbatim)", seed), ("our `event`", ours)):
            print(f"| {name} | {st['on_disk'] / st['rows']:.2f} | {st['compressed'] / st['rows']:.2f} | "
                  f"{st['uncompressed'] / st['rows']:.2f} | {st['parts']} |")
        ratios.append((label, ours["on_disk"] / seed["on_disk"], ours["compressed"] / seed["compressed"]))
    print()
    for label, disk, comp in ratios:
        print(f"ours / seed = **{disk:.2f}x** bytes on disk ({comp:.2f}x compressed column data)")
    seed_cols = [c.strip() for c in SEED_COLUMNS.split(",")]
    same_info = clickhouse.query(
        "SELECT sum(column_data_compressed_bytes) FROM system.parts_columns WHERE active AND database = currentDatabase() "
        "AND table = 'event' AND column IN {cols:Array(String)}", {"cols": seed_cols}).rows[0][0]
    seed_data = table_size(clickhouse, "event_seed")["compressed"]
    print(f"Same information only (our table's compressed bytes for the seed's 23 columns, without "
          f"session_id/referrer/utm_*/device_type): {same_info / total:.2f} B/event = "
          f"**{same_info / seed_data:.2f}x** the seed's compressed column data")
    print("\n| column (our table) | B/event |")
    print("|---|---|")
    rows = clickhouse.query(
        "SELECT column, sum(column_data_compressed_bytes) FROM system.parts_columns WHERE active "
        "AND database = currentDatabase() AND table = 'event' GROUP BY column ORDER BY 2 DESC LIMIT 10").rows
    for name, size in rows:
        print(f"| {name} | {size / total:.2f} |")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
