"""manage.py generate_events --client-id ID --days D --visitors V --seed S [--end YYYY-MM-DD]

Realistic synthetic shop traffic (events/generate.py documents its shape), inserted straight
into the event table in large column-oriented batches. ``--visitors`` is the average number of
visits per day. Without ``--end`` the window ends today (the client's local date) and nothing
later than now is written; with ``--end`` the output is fully reproducible.

Re-running with the same arguments is a no-op: event ids are deterministic, so the first one
tells whether this exact data set is already stored.
"""
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

from clickhouse_connect.driver.exceptions import DatabaseError
from django.core.management.base import BaseCommand, CommandError

from events import clickhouse
from events.generate import facts, generate
from tenants.models import Client

# Rows per INSERT: big enough that the per-insert cost vanishes, small enough to bound memory.
# A big day goes alone: its rows come sorted by the table's key, which spares ClickHouse a sort.
INSERT_ROWS = 100_000
MAX_DAYS = 3660
MAX_VISITORS = 10_000_000


def _positive(name: str, value: int, hi: int) -> int:
    if value is None or not 1 <= value <= hi:
        raise CommandError(f"--{name} must be between 1 and {hi:,} (got {value})")
    return value


def _one_table(tables):
    import pyarrow as pa

    # Days have their own dictionaries (order ids, logins); Arrow IPC wants one per column.
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables).unify_dictionaries()


class Command(BaseCommand):
    help = "Generate realistic synthetic events for a client (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", dest="client_id", type=int, required=True)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--visitors", type=int, default=1000, help="average visits per day")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--end", default=None, help="last local day, YYYY-MM-DD (default: today)")
        parser.add_argument("--products", type=int, default=200)
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"no client with id {opts['client_id']}")
        days = _positive("days", opts["days"], MAX_DAYS)
        visitors = _positive("visitors", opts["visitors"], MAX_VISITORS)
        products = _positive("products", opts["products"], 100_000)
        seed = opts["seed"]
        if seed is None or seed < 0:
            raise CommandError(f"--seed must be a non-negative integer (got {seed})")
        not_after = None
        if opts["end"]:
            try:
                end = date.fromisoformat(str(opts["end"]))
            except ValueError:
                raise CommandError(f"--end must be a date YYYY-MM-DD (got {opts['end']!r})") from None
            today = datetime.now(timezone.utc).astimezone(client.tzinfo).date()
            if end > today:
                raise CommandError(f"--end must not be after today ({today.isoformat()} in {client.timezone})")
        else:
            now = datetime.now(timezone.utc)
            end, not_after = now.astimezone(client.tzinfo).date(), now

        started = time.perf_counter()
        try:
            inserted, skipped = self._generate_and_insert(
                generate(client_id=client.pk, days=days, visitors=visitors, seed=seed, end=end,
                         tz=client.timezone, products=products, not_after=not_after))
        except clickhouse.ClickHouseUnavailable as exc:
            raise CommandError(f"event store unavailable: {str(exc).splitlines()[0][:200]}") from None
        except DatabaseError as exc:
            raise CommandError(f"insert failed: {(str(exc).strip().splitlines() or [''])[0][:300]}") from None
        seconds = time.perf_counter() - started
        first = end.toordinal() - days + 1
        out = {
            "client_id": client.pk, "events": inserted, "skipped": skipped, "days": days,
            "visitors_per_day": visitors, "seed": seed, "start": date.fromordinal(first).isoformat(),
            "end": end.isoformat(), "seconds": round(seconds, 3),
            "events_per_second": round(inserted / seconds) if seconds > 0 else None,
            "campaigns": facts(days=days, end=end, products=products)["campaigns"],
        }
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out))
        elif skipped:
            self.stdout.write(f"already generated for client {client.pk} ({out['start']}..{out['end']}, "
                              f"seed {seed}); nothing inserted")
        else:
            self.stdout.write(f"{inserted:,} events for client {client.pk}, {out['start']}..{out['end']} "
                              f"in {seconds:.1f}s ({out['events_per_second']:,}/s)")

    def _generate_and_insert(self, batches) -> tuple[int, bool]:
        """Insert while the next days are generated: one worker thread (its own ClickHouse client)
        writes, this thread computes; at most one insert is in flight, so memory stays bounded."""
        inserted = 0
        pending, pending_rows = [], 0
        in_flight = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate-insert") as writer:
            def flush():
                nonlocal in_flight, inserted, pending, pending_rows
                table = _one_table(pending)
                pending, pending_rows = [], 0
                if in_flight is not None:
                    inserted += in_flight.result()
                in_flight = writer.submit(clickhouse.insert_arrow, "event", table)

            try:
                for i, batch in enumerate(batches):
                    if i == 0 and batch.n and self._already_stored(batch):
                        return 0, True
                    pending.append(batch.to_arrow())
                    pending_rows += batch.n
                    if pending_rows >= INSERT_ROWS:
                        flush()
                if pending:
                    flush()
                if in_flight is not None:
                    inserted += in_flight.result()
            finally:
                writer.submit(clickhouse.reset_clients)  # close the worker's connection
        return inserted, False

    @staticmethod
    def _already_stored(batch) -> bool:
        import uuid

        first_id = uuid.UUID(bytes=batch.event_id[0].tobytes())
        first_at = datetime.fromtimestamp(int(batch.created_at_us[0]) / 1e6, timezone.utc)
        rows = clickhouse.query(
            "SELECT count() FROM event WHERE client_id = {cid:Int32} AND event_type = {t:UInt8}"
            " AND created_at = {at:DateTime64(6, 'UTC')} AND event_id = {eid:UUID}",
            {"cid": batch.client_id, "t": int(batch.event_type[0]), "at": first_at, "eid": str(first_id)},
        ).rows
        return rows[0][0] > 0
