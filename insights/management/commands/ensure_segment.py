"""manage.py ensure_segment --client-id ID --name N --rules JSON [--format json]

Creates the segment once (by name) and refreshes it when it has no successful snapshot yet, so a
script (setup_demo) can leave a shop with an audience a campaign can target without re-running a
refresh on every start. Prints {"id", "name", "created", "refreshed", "size"}; bad input: a one-line
error and exit status 1. It lives in insights because segments do; lower apps (events' setup_demo)
reach it by name through call_command, never by import.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from insights.errors import AskError
from insights.models import Segment, SegmentSnapshot
from insights.segments.services import segment_create, segment_refresh
from tenants.models import Client


class Command(BaseCommand):
    help = "Create a segment if missing and refresh it once; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", type=int, required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--rules", required=True, help='the builder\'s rule tree as JSON, e.g. '
                            '\'{"op": "and", "items": [{"filter": "cart_no_order", "params": {"days": 30}}]}\'')
        parser.add_argument("--description", default="")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"고객사 {opts['client_id']}을(를) 찾을 수 없습니다 (unknown client id)")
        try:
            rules = json.loads(opts["rules"])
        except ValueError as exc:
            raise CommandError(f"--rules는 JSON이어야 합니다: {exc}")
        segment = Segment.objects.filter(client=client, name=opts["name"]).first()
        created = segment is None
        if created:
            try:
                segment = segment_create(client=client, name=opts["name"], rules=rules,
                                         description=opts["description"])
            except AskError as exc:
                raise CommandError(exc.message)
        snap = (SegmentSnapshot.objects.filter(segment=segment, status=SegmentSnapshot.Status.SUCCEEDED)
                .order_by("-version").first())
        refreshed = snap is None
        if refreshed:
            snap = segment_refresh(segment_id=segment.pk, trigger="manual")
            if snap.status != SegmentSnapshot.Status.SUCCEEDED:
                raise CommandError(f"세그먼트를 갱신하지 못했습니다: {snap.error}")
        out = {"id": segment.pk, "name": segment.name, "created": created, "refreshed": refreshed,
               "size": snap.size}
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"{segment.name} (id {segment.pk}): {snap.size:,}")
