"""Reads of insights data. Every read starts from the client; a foreign id is a 404."""
from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from events import clickhouse
from tenants.models import Client

from .models import QueryRun, SavedQuery


def saved_query_list(*, client: Client) -> QuerySet[SavedQuery]:
    last = QueryRun.objects.filter(saved_query=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    return (SavedQuery.objects.filter(client=client).select_related("owner")
            .annotate(last_run_id=Subquery(last)).order_by("name", "id"))


def saved_query_get(*, client: Client, pk) -> SavedQuery:
    try:
        return SavedQuery.objects.select_related("owner", "client", "periodic_task").get(client=client, pk=int(pk))
    except (SavedQuery.DoesNotExist, ValueError, TypeError):
        raise Http404


def query_run_list(*, client: Client, saved_query: SavedQuery | None = None) -> QuerySet[QueryRun]:
    qs = QueryRun.objects.filter(client=client).select_related("saved_query", "requested_by")
    if saved_query is not None:
        qs = qs.filter(saved_query=saved_query)
    return qs.order_by("-created_at", "-id")


def query_run_get(*, client: Client, pk) -> QueryRun:
    try:
        return QueryRun.objects.select_related("saved_query", "requested_by").get(client=client, pk=int(pk))
    except (QueryRun.DoesNotExist, ValueError, TypeError):
        raise Http404


def runs_by_id(*, client: Client, ids) -> dict[int, QueryRun]:
    ids = [i for i in ids if i]
    return {r.pk: r for r in QueryRun.objects.filter(client=client, pk__in=ids).select_related("requested_by")}


def query_run_result_page(*, client: Client, run: QueryRun, page: int, page_size: int) -> tuple[list[str], list, int]:
    """(columns, rows, total) of one page of a run's answer.

    A large audience is read from the run's ClickHouse table; the table name is derived from the
    run (already scoped to this client), never from the request.
    """
    if run.client_id != client.pk:
        raise Http404
    offset = (page - 1) * page_size
    result = run.result or {}
    if not run.result_table:
        rows = result.get("rows") or []
        return result.get("columns") or [], rows[offset:offset + page_size], len(rows)
    # The kept table may hold the one row past the cap that told us the answer was truncated.
    wanted = max(0, min(page_size, run.row_count - offset))
    table = f"query_result_{int(run.pk)}"
    data = clickhouse.query(f"SELECT * FROM {table} ORDER BY uuid LIMIT {{lim:UInt32}} OFFSET {{off:UInt64}}",
                            {"lim": wanted, "off": offset})
    return data.columns, data.rows, run.row_count


ASK_CONTEXT_DAYS = 14
ASK_CONTEXT_TTL = 600


def ask_context(*, client: Client) -> dict:
    """The shop's own vocabulary for the model: its common product/category ids, keywords, boards,
    tracking ids and campaigns of the last two weeks. Cached; empty when the store is unreachable."""
    import logging

    from django.core.cache import cache

    # The ingest key is random per client: a recreated database can never be served a stale entry.
    key = f"insights:ask-context:{client.pk}:{client.ingest_key}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    columns = {"products": "product_id", "categories": "category_id", "keywords": "keyword",
               "boards": "board_id", "tracking_ids": "tracking_id"}
    select = ", ".join(f"topKIf(50)(assumeNotNull({col}), {col} IS NOT NULL AND {col} != '') AS {name}"
                       for name, col in columns.items())
    sql = (f"SELECT {select}, topKIf(50)(utm_campaign, utm_campaign != '') AS campaigns FROM event "
           "WHERE client_id = {client_id:Int32} AND created_at >= now64(6) - toIntervalDay({days:UInt16})")
    try:
        data = clickhouse.query(sql, {"client_id": client.pk, "days": ASK_CONTEXT_DAYS})
        context = {name: [str(v) for v in values] for name, values in zip(data.columns, data.rows[0]) if values}
    except Exception:
        logging.getLogger(__name__).warning("ask context unavailable for client %s", client.pk, exc_info=True)
        return {}
    cache.set(key, context, ASK_CONTEXT_TTL)
    return context
