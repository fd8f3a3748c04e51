"""Thin Celery wrappers (DESIGN.md §3.5). Beat runs ``scan_all`` every 5 minutes (the periodic
task is created by migration 0002); it fans out one bounded task per active client.

Only this side imports the services, and lazily, inside the task: services never need a task
module at import time, so the two never form an import cycle."""
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from tenants.models import Client

from .detect.series import align

# Bounded cost per client: the scan reads ~11 h of one shop in one query, the detector looks at
# the busiest MAX_ENTITIES_PER_METRIC series per metric, and the task is killed past its limit
# (the next beat tick scans again; scans are idempotent per time).
SCAN_SOFT_LIMIT_S = 60
SCAN_HARD_LIMIT_S = 90


@shared_task(name="alerts.tasks.scan_all", acks_late=True)
def scan_all(at: str | None = None) -> int:
    when = align(datetime.fromisoformat(at) if at else timezone.now()).isoformat()
    ids = list(Client.objects.filter(is_active=True).values_list("pk", flat=True))
    for client_id in ids:
        scan_client.apply_async(args=[client_id, when], expires=300)
    return len(ids)


@shared_task(name="alerts.tasks.scan_client", acks_late=True,
             soft_time_limit=SCAN_SOFT_LIMIT_S, time_limit=SCAN_HARD_LIMIT_S)
def scan_client(client_id: int, at: str) -> dict:
    from . import services

    client = Client.objects.filter(pk=client_id, is_active=True).first()
    if client is None:
        return {"skipped": True}
    result = services.scan_client(client=client, at=datetime.fromisoformat(at))
    return {"opened": len(result.opened), "resolved": len(result.resolved), "series": result.series}
