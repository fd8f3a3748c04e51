"""manage.py import_events --client-id ID FILE [--input-format ndjson|csv] [--format json]

Imports a file of past events (events/importing.py has the rules). Idempotent: importing the
same file again inserts nothing. A bad row stops the import before anything is written, with a
one-line error naming the line.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from events import clickhouse
from events.audit import AuditAction
from events.importing import FORMATS, ImportFailed, import_file
from tenants.facade import audit_log
from tenants.models import Client


class Command(BaseCommand):
    help = "Import events for a client from an NDJSON or CSV file (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", dest="client_id", type=int, required=True)
        parser.add_argument("file")
        parser.add_argument("--input-format", choices=FORMATS, default=None,
                            help="default: from the file name, else sniffed")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"no client with id {opts['client_id']}")
        try:
            result = import_file(client_id=client.pk, path=opts["file"], fmt=opts["input_format"])
        except ImportFailed as exc:
            raise CommandError(str(exc).splitlines()[0]) from None
        except clickhouse.ClickHouseUnavailable as exc:
            raise CommandError(f"event store unavailable, nothing lost - run the import again: "
                               f"{str(exc).splitlines()[0][:200]}") from None
        out = result.as_dict()
        audit_log(action=AuditAction.IMPORT, client=client, target=out["file"][-200:],
                  details={k: out[k] for k in ("format", "rows", "inserted", "skipped_existing")})
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"{result.rows:,} rows read, {result.inserted:,} events inserted, "
                              f"{result.skipped_existing:,} already stored ({result.seconds:.1f}s)")
