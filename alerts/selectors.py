"""Reads for alerts. Every function takes the client; ClickHouse reads are client-scoped."""
from __future__ import annotations

from datetime import datetime, timezone

from django.db.models import QuerySet

from events import clickhouse
from events.catalog import Code, sql_codes
from tenants.models import Client

from .detect.series import Frame, frame_from_rows, ranges
from .models import Alert, AlertMute, Notification, NotificationSettings

# The events the series count (events.catalog); a product view is counted by its *_start event.
_SEARCH, _CART_ADD, _ORDER, _VIEW = Code.SEARCH, Code.CART_ADD, Code.ORDER_COMPLETE, Code.PRODUCT_VIEW_START
_PRODUCT_EVENTS = sql_codes((_CART_ADD, _ORDER, _VIEW))

# One query per scan for all series of a client (issue 8 §1). The three ranges are bounded
# (37 + 48 + 48 five-minute buckets) and filter on the sort key's client_id and created_at, so
# a scan reads ~11 hours of one shop whatever its history. GROUPING SETS gives the shop-wide
# distinct visitors per bucket and the per-product / per-keyword counts in the same pass.
SERIES_SQL = f"""
SELECT
    toStartOfFiveMinutes(created_at) AS bucket,
    multiIf(event_type = {_SEARCH}, 'keyword', event_type IN {_PRODUCT_EVENTS}, 'product', '') AS kind,
    multiIf(event_type = {_SEARCH}, ifNull(keyword, ''), event_type IN {_PRODUCT_EVENTS}, ifNull(product_id, ''), '') AS entity,
    multiIf(event_type = {_VIEW}, 'views', event_type = {_CART_ADD}, 'cart_adds', event_type = {_ORDER}, 'orders',
            event_type = {_SEARCH}, 'searches', '') AS metric,
    if(event_type = {_VIEW}, ifNull(category_id, ''), '') AS category,
    count() AS n,
    uniqExact(uuid) AS visitors,
    uniqExactIf(order_id, event_type = {_ORDER}) AS orders,
    grouping(kind, entity, metric, category) AS whole_bucket
FROM event
WHERE client_id = {{client_id:Int32}}
  AND ((created_at >= {{r0:DateTime64(6, 'UTC')}} AND created_at < {{r1:DateTime64(6, 'UTC')}})
    OR (created_at >= {{y0:DateTime64(6, 'UTC')}} AND created_at < {{y1:DateTime64(6, 'UTC')}})
    OR (created_at >= {{w0:DateTime64(6, 'UTC')}} AND created_at < {{w1:DateTime64(6, 'UTC')}}))
GROUP BY GROUPING SETS ((bucket), (bucket, kind, entity, metric, category))
"""
# The event each series metric counts (the shop's visitors are every event's distinct uuids).
_METRIC_CODE = {"views": int(_VIEW), "cart_adds": int(_CART_ADD), "orders": int(_ORDER), "searches": int(_SEARCH)}

# Per client and scan: the busiest series per metric the detector looks at (bounded cost).
MAX_ENTITIES_PER_METRIC = 500


def series_frame(*, client: Client, at: datetime, max_entities: int = MAX_ENTITIES_PER_METRIC) -> Frame:
    r = ranges(at)
    params = {"client_id": client.pk,
              "r0": r["recent"][0], "r1": r["recent"][1],
              "y0": r["yesterday"][0], "y1": r["yesterday"][1],
              "w0": r["week"][0], "w1": r["week"][1]}
    result = clickhouse.query(SERIES_SQL, params, settings_={"max_execution_time": 30})
    rows = []
    for bucket, kind, entity, metric, category, n, visitors, orders, whole in result.rows:
        if whole:
            rows.append((bucket, "shop", "", "visitors", visitors, ""))
            rows.append((bucket, "shop", "", "orders", orders, ""))
        elif metric:
            rows.append((bucket, kind, entity, metric, n, category))
    return frame_from_rows(at, rows, max_entities=max_entities)


def alert_list(*, client: Client, state: str | None = None, level: str | None = None) -> QuerySet[Alert]:
    qs = Alert.objects.filter(client=client).exclude(level=Alert.Level.CANDIDATE)
    if state:
        qs = qs.filter(state=state)
    if level:
        qs = qs.filter(level=level)
    return qs


def alert_get(*, client: Client, pk: int) -> Alert:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Alert, client=client, pk=pk)


def open_alerts(*, client: Client) -> dict[tuple[str, str, str], Alert]:
    return {(a.entity_kind, a.entity_id, a.metric): a
            for a in Alert.objects.filter(client=client, state=Alert.State.OPEN)}


def active_mutes(*, client: Client, at: datetime) -> list[AlertMute]:
    return list(AlertMute.objects.filter(client=client, until__gt=at))


def unread_count(*, client: Client) -> int:
    return Notification.objects.filter(client=client, channel=Notification.Channel.IN_APP,
                                       read_at__isnull=True).count()


def notification_settings(*, client: Client) -> NotificationSettings:
    return NotificationSettings.objects.get_or_create(client=client)[0]


def alert_series(*, client: Client, alert: Alert, hours: int = 6) -> dict:
    """The alert's series around it, with yesterday's and last week's values, for the chart."""
    from datetime import timedelta

    from .detect.series import align

    end = align(min(alert.last_bucket + timedelta(hours=1), datetime.now(tz=alert.last_bucket.tzinfo)))
    start = align(alert.start_bucket - timedelta(hours=hours - 1))
    cond, params = _series_condition(alert)
    params.update(client_id=client.pk)
    sql = f"""
SELECT toStartOfFiveMinutes(created_at) AS bucket,
       multiIf(created_at >= {{s0:DateTime64(6, 'UTC')}}, 0, created_at >= {{d0:DateTime64(6, 'UTC')}}, 1, 7) AS lag,
       {'uniqExact(uuid)' if alert.metric == 'visitors' else 'count()'} AS n
FROM event
WHERE client_id = {{client_id:Int32}} AND {cond}
  AND ((created_at >= {{s0:DateTime64(6, 'UTC')}} AND created_at < {{s1:DateTime64(6, 'UTC')}})
    OR (created_at >= {{d0:DateTime64(6, 'UTC')}} AND created_at < {{d1:DateTime64(6, 'UTC')}})
    OR (created_at >= {{w0:DateTime64(6, 'UTC')}} AND created_at < {{w1:DateTime64(6, 'UTC')}}))
GROUP BY bucket, lag ORDER BY bucket
"""
    day, week = timedelta(days=1), timedelta(days=7)
    params.update(s0=start, s1=end, d0=start - day, d1=end - day, w0=start - week, w1=end - week)
    rows = clickhouse.query(sql, params).rows
    from .detect.series import BUCKET

    n = int((end - start) / BUCKET)
    labels = [start + i * BUCKET for i in range(n)]
    out = {0: [0] * n, 1: [0] * n, 7: [0] * n}
    for bucket, lag, count in rows:
        shift = {0: timedelta(0), 1: day, 7: week}[lag]
        # clickhouse-connect hands back aware datetimes in the server's zone; naive ones are UTC
        bucket = bucket if bucket.tzinfo else bucket.replace(tzinfo=timezone.utc)
        i = int((bucket + shift - start) / BUCKET)
        if 0 <= i < n:
            out[lag][i] = int(count)
    return {"labels": labels, "observed": out[0], "yesterday": out[1], "week": out[7]}


def _series_condition(alert: Alert) -> tuple[str, dict]:
    code = _METRIC_CODE.get(alert.metric)
    if alert.metric == "visitors":
        return "1", {}
    cond, params = "event_type = {event_type:UInt8}", {"event_type": code}
    if alert.entity_kind == "product":
        cond += " AND product_id = {entity:String}"
        params["entity"] = alert.entity_id
    elif alert.entity_kind == "keyword":
        cond += " AND keyword = {entity:String}"
        params["entity"] = alert.entity_id
    elif alert.entity_kind == "category":
        if alert.metric == "views":
            cond += " AND category_id = {entity:String}"
        else:   # cart adds / orders carry no category: the category's products
            cond += (" AND product_id IN (SELECT DISTINCT product_id FROM event WHERE client_id = {client_id:Int32}"
                     f" AND event_type = {_VIEW} AND category_id = {{entity:String}}"
                     " AND created_at >= {w0:DateTime64(6, 'UTC')})")
        params["entity"] = alert.entity_id
    return cond, params


def drilldown(*, client: Client, alert: Alert, at: datetime) -> dict:
    """What moved during the alert against the hour before: the numbers both explanations use.

    Top products, keywords, campaign tracking ids (message clicks) and referrers / utm sources
    in the alert's window vs the hour before it (one query, bounded ranges).
    """
    from datetime import timedelta

    start = alert.start_bucket
    end = max(at, start + timedelta(minutes=5))
    before = start - timedelta(hours=1)
    cond, params = _series_condition(alert) if alert.metric != "visitors" else ("1", {})
    params.update(client_id=client.pk, b0=before, s0=start, s1=end, w0=before)
    sql = f"""
SELECT dim, value, countIf(created_at >= {{s0:DateTime64(6, 'UTC')}}) AS during,
       countIf(created_at < {{s0:DateTime64(6, 'UTC')}}) AS before
FROM event
ARRAY JOIN
    ['product', 'keyword', 'campaign', 'referrer'] AS dim,
    [ifNull(product_id, ''), ifNull(keyword, ''), ifNull(tracking_id, ''),
     if(utm_source != '', utm_source, domain(referrer))] AS value
WHERE client_id = {{client_id:Int32}} AND {cond}
  AND created_at >= {{b0:DateTime64(6, 'UTC')}} AND created_at < {{s1:DateTime64(6, 'UTC')}}
  AND value != ''
GROUP BY dim, value
ORDER BY during DESC
LIMIT 5 BY dim
"""
    rows = clickhouse.query(sql, params).rows
    minutes_during = max(5, int((end - start).total_seconds() // 60))
    out: dict[str, list] = {"product": [], "keyword": [], "campaign": [], "referrer": []}
    for dim, value, during, before_n in rows:
        out[dim].append({"value": value, "during": int(during), "before": int(before_n)})
    out["minutes_during"] = minutes_during
    out["minutes_before"] = 60
    return out
