"""Thin Celery wrappers: load ids, call the service (DESIGN.md §3.5)."""
from celery import shared_task


@shared_task(name="customers.tasks.score_recent_orders", acks_late=True)
def score_recent_orders(batch: dict) -> dict:
    """``batch`` = {client_id: {"login_ids": [...], "uuids": [...]}} from one flushed batch."""
    from .services import score_recent_orders as score

    done = {}
    for client_id, who in batch.items():
        done[str(client_id)] = score(client_id=int(client_id), login_ids=who.get("login_ids", []),
                                     uuids=who.get("uuids", []))
    return done


@shared_task(name="customers.tasks.refit_all", acks_late=True)
def refit_all() -> dict:
    """Nightly: a new model version per client that has orders (beat schedule in the DB)."""
    from tenants.models import Client

    out = {}
    for client_id in Client.objects.values_list("pk", flat=True):
        out[str(client_id)] = refit_client(client_id)
    return out


@shared_task(name="customers.tasks.refit_client", acks_late=True)
def refit_client(client_id: int) -> int | None:
    from tenants.models import Client

    from .services import NotEnoughCustomers, model_fit

    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return None
    try:
        return model_fit(client=client).version
    except NotEnoughCustomers:
        return None
