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
