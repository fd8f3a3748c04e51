"""Re-encrypt stored tokens and PII with the first FIELD_ENCRYPTION_KEY (key rotation step 2)."""
import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Re-encrypt Cafe24 tokens, push tokens and member contacts with the newest key."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        from messaging.rotation import reencrypt_all

        n = reencrypt_all()
        if opts["format"] == "json":
            self.stdout.write(json.dumps({"reencrypted": n}))
        else:
            self.stdout.write(f"re-encrypted {n} rows")
