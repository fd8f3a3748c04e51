import json

from django.core.management.base import BaseCommand

from events import catalog


class Command(BaseCommand):
    help = "Print the event type catalog (codes, names, Korean labels, fields)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **opts):
        rows = catalog.catalog()
        if opts["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            required = ",".join(r["required"]) or "-"
            fields = ",".join(r["fields"]) or "-"
            self.stdout.write(f"{r['code']:>4}  {r['name']:<22} {r['label_ko']:<14} fields={fields} required={required}")
