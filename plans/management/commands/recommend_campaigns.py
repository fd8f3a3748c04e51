"""manage.py recommend_campaigns --client-id ID --purpose P [--date YYYY-MM-DD] [--engine gemini|offline]

Prints trends and six validated plans. ``--purpose`` takes the key (acquisition, revisit, sales,
awareness) or the Korean label ("매출 증대"). Bad input: a one-line error and exit status 1.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from plans import services
from plans.engine.schema import PURPOSES
from plans.errors import PlanError
from tenants.models import Client


class Command(BaseCommand):
    help = "Six campaign plans (low/medium/high budget x online/offline) for one client; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", type=int, required=True)
        parser.add_argument("--purpose", required=True,
                            help="; ".join(f"{k} ({v})" for k, v in PURPOSES.items()))
        parser.add_argument("--date", help="the day to plan for, YYYY-MM-DD (default: today in the client's timezone)")
        parser.add_argument("--engine", choices=services.ENGINES, help="default: gemini if GEMINI_API_KEY is set")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"고객사 {opts['client_id']}을(를) 찾을 수 없습니다 (unknown client id)")
        try:
            rec = services.recommend(client=client, purpose=opts["purpose"], on_date=opts.get("date"),
                                     engine=opts.get("engine"))
        except PlanError as exc:
            raise CommandError(exc.message)
        payload = services.recommendation_payload(rec)
        if opts["format"] == "json":
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        t = payload["trends"]
        self.stdout.write(f"[{payload['purpose_label']} · {payload['date']} · {payload['engine']}]")
        for k in ("industry", "location", "season"):
            self.stdout.write(f"- {t[k]}")
        for p in payload["plans"]:
            self.stdout.write(f"{p['key']:15} {p['title']} | {p['prize']} | {p['expected_participants']:,}명 | "
                              f"{p['cost']:,}원 | ROI {p['roi']}%")
