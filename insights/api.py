"""REST API of insights: ask, raw SQL, saved queries and their runs.

All under /api/v1/clients/<client_id>/...; the client comes from the user's memberships
(ClientPermission), every object lookup is scoped to it, so a foreign id is a 404.
"""
from __future__ import annotations

import math

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.models import Role

from . import selectors, services
from .services import AskError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _error(exc: AskError) -> Response:
    body = {"detail": exc.message, "code": exc.code}
    return Response(body, status=exc.status)


def _paging(data) -> tuple[int, int]:
    def _int(name, default):
        try:
            return int(data.get(name) or default)
        except (TypeError, ValueError):
            raise AskError(_("%(name)s 값은 숫자여야 합니다.") % {"name": name}, code="paging")

    page = max(1, _int("page", 1))
    page_size = min(MAX_PAGE_SIZE, max(1, _int("page_size", DEFAULT_PAGE_SIZE)))
    return page, page_size


def _page_meta(total: int, page: int, page_size: int) -> dict:
    return {"row_count": total, "page": page, "page_size": page_size,
            "num_pages": max(1, math.ceil(total / page_size)) if total else 1}


def page_audience(answer: dict, *, client, page: int, page_size: int) -> dict:
    """Kind A answers are paged; each page's visitors get their member id where one is known."""
    if answer.get("kind") != "A":
        answer.update(_page_meta(len(answer.get("rows") or []), 1, max(1, len(answer.get("rows") or []))))
        return answer
    rows = answer.get("rows") or []
    total = len(rows)
    start = (page - 1) * page_size
    page_rows = rows[start:start + page_size]
    answer["rows"] = page_rows
    answer.update(_page_meta(total, page, page_size))
    if "member_id" not in answer.get("columns", []):
        uuids = [r[0] for r in page_rows if r]
        answer["member_ids"] = services.member_ids_for(client=client, uuids=uuids) if uuids else {}
    return answer


class AskAPI(ClientAPIView):
    """POST {"question", "engine"?, "today"?, "ir"?, "page"?, "page_size"?} -> the answer.

    Asking only reads, so a viewer may ask. ``ir`` re-runs edited rules instead of a question.
    """

    required_role = Role.VIEWER
    write_role = None

    def post(self, request, client_id):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            page, page_size = _paging(data)
            answer = services.ask_question(
                client=self.client, question=data.get("question", ""), engine=data.get("engine") or None,
                today=data.get("today") or None, user=request.user, ir=data.get("ir"),
            )
            return Response(page_audience(answer, client=self.client, page=page, page_size=page_size))
        except AskError as exc:
            return _error(exc)


class RawSQLAPI(ClientAPIView):
    """POST {"sql"} for power users: through the guard, then read-only with limits."""

    required_role = Role.MARKETER
    write_role = Role.MARKETER

    def post(self, request, client_id):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            return Response(services.run_raw_sql(client=self.client, sql=data.get("sql", ""), user=request.user))
        except AskError as exc:
            return _error(exc)


def _saved_query_payload(sq, runs: dict | None = None) -> dict:
    last = None
    if runs is not None:
        last = runs.get(getattr(sq, "last_run_id", None))
    else:
        last = selectors.query_run_list(client=sq.client, saved_query=sq).first()
    return services.saved_query_to_dict(sq, last_run=last)


class SavedQueryListAPI(ClientAPIView):
    """GET the client's saved queries; POST {"name", "question"?, "ir"?, "schedule"?, "engine"?}."""

    def get(self, request, client_id):
        items = list(selectors.saved_query_list(client=self.client))
        runs = selectors.runs_by_id(client=self.client, ids=[getattr(s, "last_run_id", None) for s in items])
        return Response({"results": [_saved_query_payload(s, runs) for s in items]})

    def post(self, request, client_id):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            sq = services.saved_query_create(
                client=self.client, name=data.get("name", ""), question=data.get("question", "") or "",
                ir=data.get("ir"), schedule=data.get("schedule", "") or "", owner=request.user,
                engine=data.get("engine") or None,
            )
        except AskError as exc:
            return _error(exc)
        return Response(_saved_query_payload(sq), status=status.HTTP_201_CREATED)


class SavedQueryDetailAPI(ClientAPIView):
    def get(self, request, client_id, pk):
        return Response(_saved_query_payload(selectors.saved_query_get(client=self.client, pk=pk)))

    def patch(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            sq = services.saved_query_update(
                saved_query=sq, actor=request.user, name=data.get("name"), question=data.get("question"),
                ir=data.get("ir"), schedule=data.get("schedule"),
            )
        except AskError as exc:
            return _error(exc)
        return Response(_saved_query_payload(sq))

    put = patch

    def delete(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        services.saved_query_delete(saved_query=sq, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedQueryRunAPI(ClientAPIView):
    """POST -> 202 with the queued run; the Celery worker runs it. Running is a read: viewers may."""

    required_role = Role.VIEWER
    write_role = None

    def post(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        run = services.query_run_start(saved_query=sq, user=request.user)
        body = services.run_to_dict(run)
        body["run_id"] = run.pk
        body["url"] = reverse("insights:api-run", kwargs={"client_id": self.client.pk, "pk": run.pk})
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SavedQueryRunsAPI(ClientAPIView):
    """GET the run history of one saved query (newest first)."""

    def get(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        runs = selectors.query_run_list(client=self.client, saved_query=sq)[:100]
        return Response({"results": [services.run_to_dict(r) for r in runs]})


class QueryRunAPI(ClientAPIView):
    """GET status/progress, and once finished one page of the result (?page=&page_size=)."""

    def get(self, request, client_id, pk):
        run = selectors.query_run_get(client=self.client, pk=pk)
        body = services.run_to_dict(run)
        if run.status == run.Status.SUCCEEDED:
            try:
                page, page_size = _paging(request.query_params)
            except AskError as exc:
                return _error(exc)
            columns, rows, total = selectors.query_run_result_page(client=self.client, run=run, page=page,
                                                                   page_size=page_size)
            result = run.result or {}
            body["result"] = {"columns": columns, "rows": services.jsonable(rows),
                              "truncated": result.get("truncated", False), "sql": result.get("sql", ""),
                              **_page_meta(total, page, page_size)}
            if run.kind == "A" and rows and "member_id" not in columns:
                body["result"]["member_ids"] = services.member_ids_for(client=self.client,
                                                                      uuids=[r[0] for r in rows])
        return Response(body)
