"""Reads of saved questions and their runs. Every read starts from the client; a foreign id is a 404."""
from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from tenants.models import Client

from .. import store
from ..models import QueryRun, SavedQuery


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
    columns, rows = store.result_table_page(run_id=run.pk, limit=wanted, offset=offset)
    return columns, rows, run.row_count

