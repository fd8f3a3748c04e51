"""Storage benchmark: compressed bytes per event, our event table vs the seed's table verbatim.

    .venv/bin/python bench/storage.py [--events 1000000] [--days 30] [--shops 4]

Generates synthetic shop traffic with events.generate (the same generator as
``manage.py generate_events``) into a staging table, then stores the very same rows in our
``event`` table and in ``event_seed`` (the seed's DDL from seeds/000-untitle.md, only the name
changed), merges both (OPTIMIZE FINAL, as a table at rest ends up) and compares bytes on disk
per event.

Ids: the collector and importers store event_id/session_id in the compact layout of
events/ingest/rows.py (``canonical_event_id``); the generator's raw ids are random uuids. The
main comparison stores the ingest path's ids in BOTH tables (same values, built here in SQL with
the same layout, cityHash64 standing in for blake2b); a second pair of rows, with --raw-ids,
stores the generator's random ids in both, for reference. ``--events 10000000`` is the reference size (a few minutes on 2 cores).
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


def compact_id_sql(t: str, key: str) -> str:
    """SQL twin of rows.compact_id: minute of ``t`` + 58 bits of cityHash64(key) + zero word."""
    r = f"cityHash64({key})"
    lo = f"leftPad(hex(bitOr(bitShiftLeft(toUInt64(2), 62), bitShiftLeft(bitAnd({r}, 1073741823), 32))), 16, '0')"
    return (f"toUUID(concat(leftPad(hex(toUInt32(intDiv(toUnixTimestamp64Micro({t}), 60000000))), 8, '0'), '-', "
            f"leftPad(hex(toUInt16(bitAnd(bitShiftRight({r}, 42), 65535))), 4, '0'), '-8', "
            f"substring(leftPad(hex(toUInt16(bitAnd(bitShiftRight({r}, 30), 4095))), 4, '0'), 2, 3), '-', "
            f"substring({lo}, 1, 4), '-', substring({lo}, 5, 12)))")


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
    ap.add_argument("--raw-ids", action="store_true", help="also compare with the generator's random ids")
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
    clickhouse.command("CREATE TABLE staging AS event ENGINE = MergeTree ORDER BY tuple()")
    t0 = time.perf_counter()
    total = 0
    for shop in range(1, args.shops + 1):
        for batch in generate(client_id=shop, days=args.days, visitors=visitors, seed=shop, end=date(2026, 10, 31)):
            total += clickhouse.insert_arrow("staging", batch.to_arrow())
    gen_s = time.perf_counter() - t0
    cols = [r[0] for r in clickhouse.query(
        "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'event' ORDER BY position").rows]
    as_stored = {
        "event_id": compact_id_sql("created_at", "client_id, event_id"),
        # A session's id is minted when it starts (POST /api/v1/sessions).
        "session_id": f"if(session_id IS NULL, NULL, {compact_id_sql('min(created_at) OVER (PARTITION BY session_id)', 'session_id')})",
    }
    clickhouse.command(f"INSERT INTO event SELECT {', '.join(as_stored.get(c, c) for c in cols)} FROM staging")
    clickhouse.command(SEED_DDL)
    clickhouse.command(f"INSERT INTO event_seed ({SEED_COLUMNS}) SELECT {SEED_COLUMNS} FROM event")
    pairs = [("event", "event_seed", "ids as the ingest path stores them")]
    if args.raw_ids:
        clickhouse.command("CREATE TABLE event_raw AS event")
        clickhouse.command("INSERT INTO event_raw SELECT * FROM staging")
        clickhouse.command(SEED_DDL.replace("create table event_seed", "create table event_seed_raw"))
        clickhouse.command(f"INSERT INTO event_seed_raw ({SEED_COLUMNS}) SELECT {SEED_COLUMNS} FROM staging")
        pairs.append(("event_raw", "event_seed_raw", "generator's random uuid4-like ids"))
    clickhouse.command("DROP TABLE staging")
    for pair in pairs:
        for table in pair[:2]:
            clickhouse.command(f"OPTIMIZE TABLE {table} FINAL")

    print(f"\n{total:,} events ({args.shops} shops x {args.days} days, {visitors:,} visits/day each), "
          f"generated + inserted in {gen_s:.0f}s; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| ids | table | bytes on disk / event | compressed column data / event | uncompressed / event | parts |")
    print("|---|---|---|---|---|---|")
    ratios = []
    for ours_t, seed_t, label in pairs:
        ours, seed = table_size(clickhouse, ours_t), table_size(clickhouse, seed_t)
        assert ours["rows"] == seed["rows"] == total, (ours, seed, total)
        for name, st in (("seed `event` (verbatim)", seed), ("our `event`", ours)):
            print(f"| {label} | {name} | {st['on_disk'] / st['rows']:.2f} | {st['compressed'] / st['rows']:.2f} | "
                  f"{st['uncompressed'] / st['rows']:.2f} | {st['parts']} |")
        ratios.append((label, ours["on_disk"] / seed["on_disk"], ours["compressed"] / seed["compressed"]))
    print()
    for label, disk, comp in ratios:
        print(f"- {label}: ours / seed = **{disk:.2f}x** bytes on disk ({comp:.2f}x compressed column data)")
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
