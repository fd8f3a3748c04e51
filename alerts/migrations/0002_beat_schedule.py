"""The 5-minute spike scan in django-celery-beat's database schedule (DESIGN.md §2)."""
from django.db import migrations


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="alerts-scan-every-5-minutes",
        defaults={"task": "alerts.tasks.scan_all", "interval": every, "enabled": True,
                  "description": "Traffic spike and drop scan of every active client (issue 8)"})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="alerts-scan-every-5-minutes").delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create, remove)]
