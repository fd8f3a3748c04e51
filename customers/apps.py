from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "고객 세그먼트"
    default_auto_field = "django.db.models.BigAutoField"
