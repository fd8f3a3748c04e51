"""Run a campaign's send loop in this process (a worker's job; also used to resume by hand)."""
import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Send the pending deliveries of one campaign (idempotent: safe to re-run after a crash)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign-id", type=int, required=True)
        parser.add_argument("--wave", type=int, default=None)
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        from messaging.models import Campaign
        from messaging.errors import MessagingError
        from messaging.sending.services import campaign_send

        if not Campaign.objects.filter(pk=opts["campaign_id"]).exists():
            raise CommandError(f"campaign {opts['campaign_id']} does not exist")
        try:
            out = campaign_send(campaign_id=opts["campaign_id"], wave=opts["wave"])
        except MessagingError as exc:
            raise CommandError(exc.message)
        self.stdout.write(json.dumps(out) if opts["format"] == "json" else
                          f"{out['counts']['sent']} sent, {out['counts']['failed']} failed")
