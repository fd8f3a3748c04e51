"""Thin Celery wrappers: load ids, call the service (DESIGN.md §3.5)."""
from celery import shared_task


@shared_task(name="insights.tasks.run_saved_query", acks_late=True)
def run_saved_query(run_id: int) -> str:
    from .services import query_run_execute

    return query_run_execute(run_id=run_id).status


@shared_task(name="insights.tasks.run_scheduled_query", acks_late=True)
def run_scheduled_query(saved_query_id: int) -> str | None:
    from .services import query_run_scheduled

    run = query_run_scheduled(saved_query_id=saved_query_id)
    return run.status if run else None
