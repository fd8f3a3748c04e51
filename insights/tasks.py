"""Thin Celery wrappers: load ids, call the service (DESIGN.md §3.5). The names are stored in beat
rows: they never change. Services import these at module top; these import services lazily."""
from celery import shared_task


@shared_task(name="insights.tasks.run_saved_query", acks_late=True)
def run_saved_query(run_id: int) -> str:
    from .saved_queries.services import query_run_execute

    return query_run_execute(run_id=run_id).status


@shared_task(name="insights.tasks.run_scheduled_query", acks_late=True)
def run_scheduled_query(saved_query_id: int) -> str | None:
    from .saved_queries.services import query_run_scheduled

    run = query_run_scheduled(saved_query_id=saved_query_id)
    return run.status if run else None


@shared_task(name="insights.tasks.refresh_segment", acks_late=True)
def refresh_segment(segment_id: int, trigger: str = "manual") -> str:
    from .segments.services import segment_refresh

    return segment_refresh(segment_id=segment_id, trigger=trigger).status


@shared_task(name="insights.tasks.push_segment_webhook", bind=True, acks_late=True, max_retries=5)
def push_segment_webhook(self, segment_id: int, version: int | None = None) -> int:
    from .segments.services import WebhookFailed, segment_webhook_push

    try:
        return segment_webhook_push(segment_id=segment_id, version=version)
    except WebhookFailed as exc:
        # The receiver may be down for a while: back off 30 s, 60 s, 120 s ...
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries)
