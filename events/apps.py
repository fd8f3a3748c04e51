from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _apply_clickhouse_migrations(sender, **kwargs):
    from . import ch_migrate

    applied = ch_migrate.migrate()
    if applied and kwargs.get("verbosity", 1):
        print(f"  ClickHouse: applied {', '.join(applied)}")


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "이벤트"

    def ready(self):
        # `migrate` brings ClickHouse up to date as well, so setup is one command.
        post_migrate.connect(_apply_clickhouse_migrations, sender=self, dispatch_uid="events.ch_migrate")
