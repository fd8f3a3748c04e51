"""Reads for customer segments. Every function takes the client; ClickHouse reads bind its id.

Customer key (ClickHouse side): an order's login_id when it has one, else the latest login_id
that browser (uuid) ever carried (so guest checkouts of a member count as the member's), else
the uuid itself when the client includes guests.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from events import clickhouse
from events.catalog import Code
from tenants.models import Client

from .models import CustomerModel, CustomerProfile, CustomerSettings, SegmentMove
from .predict.features import Activity, History, epoch_days
from .rfm.features import OrderAggregate
from .rfm.model import DEFAULT_NAMES, SEGMENTS

ORDER = int(Code.ORDER_COMPLETE)
CANCEL = int(Code.ORDER_CANCEL)
# What the purchase model reads of behaviour since the last order (customers/predict/features.py)
VIEW, CART, VISIT = int(Code.PRODUCT_VIEW_START), int(Code.CART_ADD), int(Code.SESSION_START)
# Internal reads over every customer of a shop: lift the per-query row cap of user queries
# (it would silently cut customers off) but keep the time and memory limits.
_ALL_ROWS = {"max_result_rows": 0, "max_execution_time": 120}

_KEYED = """
WITH ident AS (
    SELECT uuid, argMax(assumeNotNull(login_id), created_at) AS member
    FROM event
    WHERE client_id = {client_id:Int32} AND login_id IS NOT NULL AND login_id != ''
      AND uuid IN (SELECT uuid FROM event
                   WHERE client_id = {client_id:Int32} AND event_type IN ({codes:Array(UInt8)})
                     AND created_at >= {start:DateTime64(6, 'UTC')} AND created_at < {end:DateTime64(6, 'UTC')})
    GROUP BY uuid
),
src AS (
    SELECT if(ifNull(e.login_id, '') != '', assumeNotNull(e.login_id), i.member) AS member,
           toString(e.uuid) AS guest, e.event_type AS event_type, e.order_id AS order_id,
           e.amount AS amount, e.created_at AS created_at
    FROM event AS e LEFT JOIN ident AS i ON e.uuid = i.uuid
    WHERE e.client_id = {client_id:Int32} AND e.event_type IN ({codes:Array(UInt8)})
      AND e.created_at >= {start:DateTime64(6, 'UTC')} AND e.created_at < {end:DateTime64(6, 'UTC')}
),
keyed AS (
    SELECT if(member != '', member, guest) AS customer_key, member != '' AS is_member,
           event_type, order_id, amount, created_at
    FROM src
    WHERE member != '' OR {guests:UInt8} = 1
)
"""

_EPOCH = datetime(1970, 1, 1)


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc).replace(tzinfo=None) if ts.tzinfo else ts


def settings_for(client: Client) -> CustomerSettings:
    obj, _ = CustomerSettings.objects.get_or_create(client=client)
    return obj


def segment_names(client: Client) -> dict[str, str]:
    custom = settings_for(client).segment_names or {}
    return {code: (custom.get(code) or DEFAULT_NAMES[code]) for code in SEGMENTS}


def order_aggregates(*, client: Client, include_guests: bool, as_of: datetime,
                     keys: list[str] | None = None, since: datetime | None = None) -> list[OrderAggregate]:
    """One aggregate per customer with a completed order in [since, as_of)."""
    sql = _KEYED + f"""
SELECT customer_key, any(is_member) AS member_flag,
       uniqExactIf(order_id, event_type = {ORDER}) AS n_orders,
       uniqExactIf(order_id, event_type = {CANCEL}) AS n_cancelled,
       sumIf(ifNull(amount, 0), event_type = {ORDER}) AS order_amount,
       sumIf(ifNull(amount, 0), event_type = {CANCEL}) AS cancel_amount,
       maxIf(created_at, event_type = {ORDER}) AS last_order,
       minIf(created_at, event_type = {ORDER}) AS first_order
FROM keyed
""" + ("WHERE customer_key IN {keys:Array(String)}\n" if keys is not None else "") + """
GROUP BY customer_key
HAVING n_orders > 0
ORDER BY customer_key
"""
    params = {"client_id": client.pk, "codes": [ORDER, CANCEL], "guests": int(include_guests),
              "start": _naive_utc(since) if since else _EPOCH, "end": _naive_utc(as_of)}
    if keys is not None:
        if not keys:
            return []
        params["keys"] = list(keys)
    rows = clickhouse.query(sql, params, settings_=_ALL_ROWS).rows
    return [OrderAggregate(customer_key=r[0], orders=r[2], cancelled=r[3], amount=float(r[4]),
                           cancelled_amount=float(r[5]), last_order_at=_aware(r[6]), first_order_at=_aware(r[7]))
            for r in rows]


def order_history(*, client: Client, include_guests: bool, as_of: datetime,
                  keys: list[str] | None = None) -> History:
    """Every completed, not cancelled order per customer before ``as_of``: (epoch days, amount)."""
    sql = _KEYED + f"""
SELECT customer_key, order_id, minIf(created_at, event_type = {ORDER}) AS at,
       sumIf(ifNull(amount, 0), event_type = {ORDER}) AS total
FROM keyed
""" + ("WHERE customer_key IN {keys:Array(String)}\n" if keys is not None else "") + f"""
GROUP BY customer_key, order_id
HAVING countIf(event_type = {ORDER}) > 0 AND countIf(event_type = {CANCEL}) = 0
"""
    params = {"client_id": client.pk, "codes": [ORDER, CANCEL], "guests": int(include_guests),
              "start": _EPOCH, "end": _naive_utc(as_of)}
    if keys is not None:
        if not keys:
            return History()
        params["keys"] = list(keys)
    history = History()
    for key, _oid, at, total in clickhouse.query(sql, params, settings_=_ALL_ROWS).rows:
        history.orders.setdefault(key, []).append((epoch_days(_aware(at)), float(total)))
    return history


def activity_since_last_order(*, client: Client, include_guests: bool, cutoff: datetime,
                              keys: list[str] | None = None) -> dict[str, Activity]:
    """Per customer with an order before ``cutoff``: product views, cart adds and visits after
    her last order (and before the cut-off), and when she was last seen."""
    sql = _KEYED + f"""
, last AS (SELECT customer_key, maxIf(created_at, event_type = {ORDER}) AS last_order FROM keyed
           GROUP BY customer_key HAVING countIf(event_type = {ORDER}) > 0)
SELECT k.customer_key, countIf(k.event_type = {VIEW} AND k.created_at > l.last_order),
       countIf(k.event_type = {CART} AND k.created_at > l.last_order),
       countIf(k.event_type = {VISIT} AND k.created_at > l.last_order), max(k.created_at)
FROM keyed AS k INNER JOIN last AS l ON k.customer_key = l.customer_key
""" + ("WHERE k.customer_key IN {keys:Array(String)}\n" if keys is not None else "") + """
GROUP BY k.customer_key
"""
    params = {"client_id": client.pk, "codes": [ORDER, VIEW, CART, VISIT], "guests": int(include_guests),
              "start": _EPOCH, "end": _naive_utc(cutoff)}
    if keys is not None:
        if not keys:
            return {}
        params["keys"] = list(keys)
    return {key: Activity(views=int(v), cart_adds=int(c), visits=int(n), last_seen_days=epoch_days(_aware(seen)))
            for key, v, c, n, seen in clickhouse.query(sql, params, settings_=_ALL_ROWS).rows}


def _aware(ts: datetime) -> datetime:
    # chDB hands DateTime64('UTC') back naive; the profiles store aware UTC times
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts


def customer_keys_for(*, client: Client, login_ids: list[str], uuids: list[str], include_guests: bool) -> list[str]:
    """The customer keys behind freshly ingested orders (a uuid resolves to its latest login)."""
    keys = {k for k in login_ids if k}
    if uuids:
        rows = clickhouse.query(
            """
SELECT toString(uuid) AS u, argMax(assumeNotNull(login_id), created_at) AS member
FROM event
WHERE client_id = {client_id:Int32} AND uuid IN {uuids:Array(UUID)} AND login_id IS NOT NULL AND login_id != ''
GROUP BY uuid
""", {"client_id": client.pk, "uuids": list(uuids)}, settings_=_ALL_ROWS).rows
        members = dict(rows)
        for u in uuids:
            if members.get(u):
                keys.add(members[u])
            elif include_guests:
                keys.add(u)
    return sorted(keys)


def customers_with_behaviour(*, client: Client, event_code: int, start: datetime, end: datetime,
                             keys: list[str], include_guests: bool) -> list[str]:
    """Which of ``keys`` did ``event_code`` in [start, end): the segment scope is applied in
    the query itself, so nothing outside it is ever read into the answer."""
    if not keys:
        return []
    sql = _KEYED + """
SELECT DISTINCT customer_key FROM keyed WHERE customer_key IN {keys:Array(String)} ORDER BY customer_key
"""
    params = {"client_id": client.pk, "codes": [int(event_code)], "guests": int(include_guests),
              "start": _naive_utc(start), "end": _naive_utc(end), "keys": list(keys)}
    return [r[0] for r in clickhouse.query(sql, params, settings_=_ALL_ROWS).rows]


def customer_orders(*, client: Client, customer_key: str, include_guests: bool, limit: int = 50) -> list[dict]:
    """One customer's orders and cancels, newest first (the customer page's history)."""
    sql = _KEYED + """
SELECT order_id, event_type, sum(ifNull(amount, 0)) AS order_amount, count() AS lines, min(created_at) AS at
FROM keyed WHERE customer_key = {key:String}
GROUP BY order_id, event_type ORDER BY at DESC LIMIT {limit:UInt32}
"""
    params = {"client_id": client.pk, "codes": [ORDER, CANCEL], "guests": int(include_guests),
              "start": _EPOCH, "end": datetime(2200, 1, 1), "key": customer_key, "limit": limit}
    return clickhouse.query(sql, params).dicts()


# --- Postgres reads --------------------------------------------------------------------------

def latest_model(*, client: Client) -> CustomerModel | None:
    return CustomerModel.objects.filter(client=client).order_by("-version").first()


def profile_get(*, client: Client, customer_key: str) -> CustomerProfile | None:
    return CustomerProfile.objects.filter(client=client, customer_key=customer_key).first()


def _segment_code(client: Client, segment_name: str) -> str | None:
    if segment_name in SEGMENTS:
        return segment_name
    for code, name in segment_names(client).items():
        if name == segment_name:
            return code
    return None


def customer_keys_in_segment(*, client: Client, segment_name: str) -> list[str]:
    """Customer keys (login_id, or guest uuid) currently in a segment, by code ("vip", "mid",
    "low", "dormant") or by the client's display name. The audience filter's entry point."""
    code = _segment_code(client, segment_name)
    if code is None:
        return []
    return list(CustomerProfile.objects.filter(client=client, segment=code)
                .order_by("customer_key").values_list("customer_key", flat=True))


def segment_overview(*, client: Client) -> list[dict]:
    names = segment_names(client)
    rows = {r["segment"]: r for r in CustomerProfile.objects.filter(client=client).values("segment").annotate(
        customers=Count("id"), monetary_total=Sum("monetary"), frequency_total=Sum("frequency"),
        recency_total=Sum("recency_days"))}
    total_n = sum(r["customers"] for r in rows.values())
    total_m = sum(r["monetary_total"] or 0 for r in rows.values())
    out = []
    for code in SEGMENTS:
        r = rows.get(code)
        if not r:
            continue
        n = r["customers"]
        out.append({
            "segment": code, "segment_name": names[code], "customers": n,
            "customer_share": n / total_n if total_n else 0.0,
            "monetary_total": r["monetary_total"] or 0,
            "value_share": (r["monetary_total"] or 0) / total_m if total_m else 0.0,
            "recency_mean": r["recency_total"] / n, "frequency_mean": r["frequency_total"] / n,
            "monetary_mean": (r["monetary_total"] or 0) / n,
        })
    return out


def rfm_points(*, client: Client, per_segment: int = 300) -> dict[str, list[dict]]:
    """A sample of customers per segment for the RFM bubble chart (top spenders first, so the
    chart shows each segment's reach; the sizes table carries the exact counts)."""
    out = {}
    for code in SEGMENTS:
        qs = (CustomerProfile.objects.filter(client=client, segment=code).order_by("-monetary", "customer_key")
              .values("customer_key", "recency_days", "frequency", "monetary")[:per_segment])
        out[code] = list(qs)
    return out


def segment_moves_daily(*, client: Client, days: int = 30, now: datetime | None = None) -> dict:
    """Moves into each segment per day over the last ``days`` days, split by reason.

    Days are the shop's local days (the chart's axis), not UTC's: between UTC and local midnight
    today's moves would otherwise fall outside the range."""
    tz = client.tzinfo
    today = (now or datetime.now(timezone.utc)).astimezone(tz).date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    qs = (SegmentMove.objects.filter(client=client, created_at__gte=since)
          .annotate(day=TruncDate("created_at", tzinfo=tz)).values("day", "to_segment").annotate(n=Count("id")))
    day_list = [start + timedelta(days=i) for i in range(days)]
    series = {code: [0] * days for code in SEGMENTS}
    for r in qs:
        i = (r["day"] - start).days
        if 0 <= i < days and r["to_segment"] in series:
            series[r["to_segment"]][i] += r["n"]
    return {"days": [d.isoformat() for d in day_list], "series": series}


def recent_moves(*, client: Client, customer_key: str | None = None, limit: int = 50):
    qs = SegmentMove.objects.filter(client=client)
    if customer_key is not None:
        qs = qs.filter(customer_key=customer_key)
    return list(qs.order_by("-created_at", "-id")[:limit])


def profiles_page(*, client: Client, segment: str | None = None, search: str = ""):
    qs = CustomerProfile.objects.filter(client=client)
    if segment:
        qs = qs.filter(segment=segment)
    if search:
        qs = qs.filter(customer_key__icontains=search)
    return qs.order_by("-monetary", "customer_key")


PREDICTION_FIELDS = {"repurchase_30d": "repurchase_probability_30d", "repurchase_90d": "repurchase_probability_90d",
                     "expected_revenue_90d": "expected_revenue_90d"}


def predictions_scored(*, client: Client) -> bool:
    return CustomerProfile.objects.filter(client=client, repurchase_probability_90d__isnull=False).exists()


def customer_keys_by_prediction(*, client: Client, measure: str, top_percent: int | None = None,
                                min_value: float | None = None) -> list[str]:
    """Customer keys ranked by a prediction: the top ``top_percent`` % of scored customers (at
    least one), or every customer at or above ``min_value``."""
    field = PREDICTION_FIELDS[measure]
    qs = CustomerProfile.objects.filter(client=client, **{f"{field}__isnull": False})
    if min_value is not None:
        qs = qs.filter(**{f"{field}__gte": min_value})
    qs = qs.order_by(f"-{field}", "customer_key").values_list("customer_key", flat=True)
    if top_percent is not None:
        n = qs.count()
        return list(qs[:max(1, math.ceil(n * top_percent / 100))]) if n else []
    return list(qs)
