from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "고객사"

    def ready(self):
        from untitle import checks  # noqa: F401  (registers the deploy checks)

        from . import signals  # noqa: F401  (connects the login audit receivers)
