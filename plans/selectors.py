"""Reads for campaign-plan recommendations; every one takes the client."""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone

from django.shortcuts import get_object_or_404

from events import clickhouse
from events.catalog import Code

from .engine.library import PastPlan
from .engine.occasions import season_of
from .models import PlanDraft, PlanFeedback, Recommendation

log = logging.getLogger(__name__)


def recommendation_get(*, client, pk) -> Recommendation:
    return get_object_or_404(Recommendation, client=client, pk=pk)


def recommendation_list(*, client):
    return Recommendation.objects.filter(client=client).select_related("requested_by")


def draft_get(*, client, pk) -> PlanDraft:
    return get_object_or_404(PlanDraft.objects.select_related("recommendation"), client=client, pk=pk)


def draft_list(*, client):
    return PlanDraft.objects.filter(client=client).select_related("recommendation")


def feedback_list(*, client):
    return PlanFeedback.objects.filter(client=client).select_related("recommendation", "user")


def shop_size(*, client, today=None) -> tuple[int | None, int | None]:
    """Distinct visitors and orders over the last 30 local days, from the shop's own events.

    None when ClickHouse cannot answer: the size only nudges expected participants, so a
    recommendation must not fail because of it.
    """
    tz = client.tzinfo
    today = today or client.today()
    start = datetime.combine(today - timedelta(days=29), time.min, tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz).astimezone(timezone.utc)
    try:
        rows = clickhouse.query(
            f"""
            SELECT uniqExact(uuid) AS visitors, uniqExactIf(order_id, event_type = {Code.ORDER_COMPLETE}) AS orders
            FROM event
            WHERE client_id = {{client_id:Int32}}
              AND created_at >= {{start:DateTime64(6, 'UTC')}} AND created_at < {{end:DateTime64(6, 'UTC')}}
            """,
            {"client_id": client.pk, "start": start, "end": end},
        ).rows
    except Exception:  # noqa: BLE001 - the store being down must not block a recommendation
        log.warning("shop size unavailable for client %s", client.pk, exc_info=True)
        return None, None
    if not rows:
        return 0, 0
    return int(rows[0][0]), int(rows[0][1])


def own_past_plans(*, client) -> list[PastPlan]:
    """The client's own campaigns from plans, with measured results: the best evidence there is."""
    out = []
    for d in draft_list(client=client).filter(status=PlanDraft.Status.FINISHED).order_by("-results_at")[:50]:
        roi = d.actual_roi
        if roi is None or not d.actual_participants:
            continue
        out.append(PastPlan(
            id=f"own-{d.pk}", industry=client.industry, purpose=d.recommendation.purpose,
            budget=d.plan["budget"], channel=d.plan["channel"], title=d.name[:30], prize=d.prize[:20],
            participation=d.participation, participants=d.actual_participants, cost=d.actual_cost, roi=roi,
            tags=(season_of(d.results_at.date()),) if d.results_at else (), industry_label=client.industry,
            source="own",
        ))
    return out
