from django.core.management.base import BaseCommand

from events import ch_migrate


class Command(BaseCommand):
    help = "Apply pending ClickHouse migrations (also run by `migrate`)."

    def handle(self, *args, **opts):
        applied = ch_migrate.migrate()
        self.stdout.write(", ".join(applied) if applied else "ClickHouse schema is up to date.")
