"""Point every connected shop's SDK script tag at what this deployment serves; run it on deploy
(the daily beat entry messaging-cafe24-scripttags-sync does the same and catches any drift)."""
import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Cafe24 script tags: create missing ones, repair a stale src or a pinned integrity (JSON counts)."

    def handle(self, *args, **options):
        from messaging.connection.services import cafe24_scripttags_sync

        self.stdout.write(json.dumps(cafe24_scripttags_sync()))
