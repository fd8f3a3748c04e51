"""Run the flusher as its own process (production), or drain the buffer once (--once)."""
import json
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from events.clickhouse import ClickHouseUnavailable
from events.ingest import flusher


class Command(BaseCommand):
    help = "Move buffered events (Redis stream or spool) into ClickHouse; runs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="flush what is buffered now, then exit")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        if opts["once"]:
            try:
                stats = flusher.drain()
            except ClickHouseUnavailable as exc:
                raise CommandError(f"ClickHouse에 연결할 수 없습니다: {str(exc)[:200]}") from None
            out = {"read": stats.read, "inserted": stats.inserted, "batches": stats.batches}
            self.stdout.write(json.dumps(out) if opts["format"] == "json" else
                              f"read {stats.read}, inserted {stats.inserted} in {stats.batches} batches")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("flusher running; Ctrl-C to stop")
        flusher.run_forever(stop)
