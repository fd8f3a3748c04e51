"""manage.py create_client --name N [--mall-id M] [--timezone TZ] [--format json]"""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Client
from tenants.services import client_create


class Command(BaseCommand):
    help = "Create a client (one Cafe24 shop) and print its id, ingest key and secret (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--mall-id", default=None)
        parser.add_argument("--timezone", default="Asia/Seoul")
        parser.add_argument("--industry", default="")
        parser.add_argument("--business-type", default="")
        parser.add_argument("--region", default="")
        parser.add_argument("--slug", default=None)
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        name = (opts["name"] or "").strip()
        if not name:
            raise CommandError("--name must not be empty")
        mall_id = (opts["mall_id"] or "").strip() or None
        if mall_id and Client.objects.filter(mall_id=mall_id).exists():
            raise CommandError(f"a client with mall id {mall_id!r} already exists")
        if opts["slug"] and Client.objects.filter(slug=opts["slug"]).exists():
            raise CommandError(f"a client with slug {opts['slug']!r} already exists")
        try:
            client, secret = client_create(
                name=name, mall_id=mall_id, timezone_name=opts["timezone"], industry=opts["industry"],
                business_type=opts["business_type"], region=opts["region"], slug=opts["slug"],
            )
        except ValidationError as exc:
            # One line: "field: message; field: message".
            parts = [f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in exc.message_dict.items()]
            raise CommandError("; ".join(parts)) from None
        out = {
            "id": client.pk, "name": client.name, "slug": client.slug, "mall_id": client.mall_id,
            "timezone": client.timezone, "ingest_key": client.ingest_key, "secret": secret,
        }
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            for key, value in out.items():
                self.stdout.write(f"{key}: {value}")
