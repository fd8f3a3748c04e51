"""Thin Celery wrappers: load ids, call a service (DESIGN §3.5). The names are stored in beat
rows and queued messages: never rename them."""
from celery import shared_task


@shared_task(name="messaging.campaign_send", acks_late=True)
def campaign_send_task(campaign_id: int) -> dict:
    from .sending.services import campaign_send

    return campaign_send(campaign_id=campaign_id)


@shared_task(name="messaging.campaign_recurring", acks_late=True)
def campaign_recurring_task(campaign_id: int) -> dict:
    from .campaigns.services import campaign_run_recurring

    return campaign_run_recurring(campaign_id=campaign_id)


@shared_task(name="messaging.cafe24_order_record", acks_late=True)
def cafe24_order_record_task(client_id: int, resource: dict) -> str:
    from .connection.webhook import order_webhook_record

    return order_webhook_record(client_id=client_id, resource=resource)


@shared_task(name="messaging.cafe24_token_upkeep", acks_late=True)
def cafe24_token_upkeep_task() -> dict:
    from .connection.services import cafe24_token_upkeep

    return cafe24_token_upkeep()


@shared_task(name="messaging.cafe24_scripttags_sync", acks_late=True)
def cafe24_scripttags_sync_task() -> dict:
    from .connection.services import cafe24_scripttags_sync

    return cafe24_scripttags_sync()
