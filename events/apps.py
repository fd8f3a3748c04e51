from django.apps import AppConfig
from django.conf import settings
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
        # The pure ingest rows take the phone-number key from here instead of reading settings.
        from .ingest import rows

        rows.use_secret_key(settings.SECRET_KEY)
        # The tenant pages (dashboard, operators' admin) show events per shop; tenants sits below
        # events and cannot import it, so events hands it the counter (tenants/usage.py).
        from tenants.facade import provide_event_counts

        from .facade import event_counts

        provide_event_counts(event_counts)
