"""The Celery app. Tasks are thin: they load ids and call a service (DESIGN.md §3.5)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "untitle.settings")

app = Celery("untitle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
