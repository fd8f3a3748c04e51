"""Reads of campaigns, always scoped to one client (a foreign id is a 404): the list, one
campaign, its deliveries, its progress and its results."""
from __future__ import annotations

from datetime import timedelta, timezone as dt_timezone

from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from events import clickhouse
from events.catalog import Code, sql_codes
from tenants.models import Client

from .. import stats
from ..models import Campaign, Delivery

# What a campaign's result reads: orders (conversion, revenue) and clicks on its messages.
_RESULT_CODES = sql_codes((Code.ORDER_COMPLETE, Code.MESSAGE_CLICK))


def campaign_list(*, client: Client):
    return (Campaign.objects.filter(client=client)
            .annotate(n_sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
                      n_total=Count("deliveries"))
            # Explicit: Django drops Meta.ordering on aggregated querysets, and the list pages.
            .order_by("-created_at", "-id"))


def campaign_get(*, client: Client, pk) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("client", "saved_query"), client=client, pk=pk)


def delivery_page(*, campaign: Campaign, status: str = ""):
    qs = Delivery.objects.filter(client=campaign.client, campaign=campaign).order_by("id")
    return qs.filter(status=status) if status else qs


def campaign_progress(*, campaign: Campaign) -> dict:
    counts = {s: 0 for s in Delivery.Status.values}
    for row in Delivery.objects.filter(campaign=campaign).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    to_send = counts["pending"] + counts["sending"] + counts["sent"] + counts["failed"] + counts["held"]
    done = counts["sent"] + counts["failed"]
    return {"status": campaign.status, "counts": counts, "total": sum(counts.values()),
            "percent": round(100 * done / to_send, 1) if to_send else 100.0}


def campaign_results(*, campaign: Campaign) -> dict:
    """Clicks, conversion and revenue of recipients vs the holdout in the attribution window.

    A group is every delivered variant plus the holdout. Conversion = the share of its visitors
    with an order_complete inside [start, start + attribution_days); lift is against the holdout
    with a 95 % two-proportion CI. Web push deliveries are priced at the AlimTalk rate they save.
    """
    start = campaign.started_at or campaign.created_at
    end = start + timedelta(days=campaign.attribution_days)
    groups: dict[str, list[str]] = {}
    tids: list[str] = []
    for variant, visitor, tid in (Delivery.objects.filter(client=campaign.client, campaign=campaign,
                                                          status__in=[Delivery.Status.SENT, Delivery.Status.HOLDOUT])
                                  .values_list("variant", "uuid", "tracking_id").iterator(chunk_size=5000)):
        if visitor is not None:
            groups.setdefault(variant, []).append(str(visitor))
        if variant != "holdout" and tid:
            tids.append(tid)
    tids = sorted(set(tids))
    out_groups = []
    for variant in sorted(groups, key=lambda v: (v == "holdout", v)):
        uuids = groups[variant]
        conv = revenue = clickers = 0
        for i in range(0, len(uuids), 50_000):
            r = clickhouse.query(
                f"SELECT uniqExactIf(uuid, event_type = {Code.ORDER_COMPLETE}), "
                f"sumIf(toUInt64(ifNull(amount, 0)), event_type = {Code.ORDER_COMPLETE}), "
                f"uniqExactIf(uuid, event_type = {Code.MESSAGE_CLICK} AND tracking_id IN {{t:Array(String)}}) "
                f"FROM event WHERE client_id = {{c:Int32}} AND event_type IN {_RESULT_CODES} "
                "AND created_at >= {s:DateTime64(3)} AND created_at < {e:DateTime64(3)} AND uuid IN {u:Array(UUID)}",
                {"c": campaign.client_id, "s": _utc_naive(start), "e": _utc_naive(end), "u": uuids[i:i + 50_000], "t": tids or [""]})
            a, b, c = r.rows[0] if r.rows else (0, 0, 0)
            conv, revenue, clickers = conv + int(a or 0), revenue + int(b or 0), clickers + int(c or 0)
        out_groups.append({"variant": variant, "n": len(uuids), "converters": conv, "revenue": revenue,
                           "clickers": clickers, "conversion": stats.rate(conv, len(uuids)),
                           "click_rate": stats.rate(clickers, len(uuids)) if variant != "holdout" else None})
    hold = next((g for g in out_groups if g["variant"] == "holdout"), None)
    for g in out_groups:
        if g["variant"] != "holdout":
            g["lift"] = stats.lift_ci(g["converters"], g["n"], hold["converters"], hold["n"]) if hold else None
    pushes = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT).count() \
        if campaign.channel == Campaign.Channel.PUSH else 0
    price = settings.ALIMTALK_PRICE_KRW
    return {"window": {"start": start.isoformat(), "end": end.isoformat()}, "groups": out_groups,
            "cost_saved": {"push_sent": pushes, "alimtalk_price": price, "krw": pushes * price}}


def _utc_naive(dt):
    # created_at is stored in UTC without a zone.
    return dt.astimezone(dt_timezone.utc).replace(tzinfo=None)
