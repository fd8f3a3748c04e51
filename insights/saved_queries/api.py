"""REST API of saved questions and their runs, under /api/v1/clients/<client_id>/.

Every object lookup is scoped to the client, so a foreign id is a 404; errors are ``AskError``s
the project's exception handler answers with.
"""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.facade import can_see_pii
from tenants.models import Role

from untitle.body import body_dict, optional_text, text_field
from untitle.openapi import OBJECT, anything, body, query, text

from .. import store
from ..paging import page_meta, paging
from ..serializers import jsonable, masked_for, run_to_dict, saved_query_to_dict
from . import selectors, services

# One component for create, patch and put (the schema's request body).
_SAVED_QUERY_BODY = body("SavedQueryRequest", name=text(max_length=120), question=text(max_length=500), ir=anything(), schedule=text(help_text="cron"), engine=text(help_text="offline | gemini"))



def _saved_query_payload(sq, runs: dict | None = None) -> dict:
    last = None
    if runs is not None:
        last = runs.get(getattr(sq, "last_run_id", None))
    else:
        last = selectors.query_run_list(client=sq.client, saved_query=sq).first()
    return saved_query_to_dict(sq, last_run=last)


class SavedQueryListAPI(ClientAPIView):
    """GET the client's saved queries; POST {"name", "question"?, "ir"?, "schedule"?, "engine"?}."""

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id):
        items = list(selectors.saved_query_list(client=self.client))
        runs = selectors.runs_by_id(client=self.client, ids=[getattr(s, "last_run_id", None) for s in items])
        return Response({"results": [_saved_query_payload(s, runs) for s in items]})

    @extend_schema(request=_SAVED_QUERY_BODY, responses={201: OBJECT})
    def post(self, request, client_id):
        data = body_dict(request)
        sq = services.saved_query_create(
            client=self.client, name=text_field(data, "name"), question=text_field(data, "question"),
            ir=data.get("ir"), schedule=text_field(data, "schedule"), owner=request.user,
            engine=optional_text(data, "engine") or None,
        )
        return Response(_saved_query_payload(sq), status=status.HTTP_201_CREATED)


class SavedQueryDetailAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        return Response(_saved_query_payload(selectors.saved_query_get(client=self.client, pk=pk)))

    @extend_schema(request=_SAVED_QUERY_BODY, responses=OBJECT)
    def patch(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        data = body_dict(request)
        sq = services.saved_query_update(
            saved_query=sq, actor=request.user, name=optional_text(data, "name"),
            question=optional_text(data, "question"), ir=data.get("ir"), schedule=optional_text(data, "schedule"),
        )
        return Response(_saved_query_payload(sq))

    @extend_schema(request=_SAVED_QUERY_BODY, responses=OBJECT)
    def put(self, request, client_id, pk):
        return self.patch(request, client_id, pk)

    @extend_schema(responses={204: None})
    def delete(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        services.saved_query_delete(saved_query=sq, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedQueryRunAPI(ClientAPIView):
    """POST -> 202 with the queued run; the Celery worker runs it. Running is a read: viewers may."""

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=None, responses={202: OBJECT})
    def post(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        run = services.query_run_start(saved_query=sq, user=request.user)
        body = run_to_dict(run)
        body["run_id"] = run.pk
        body["url"] = reverse("insights:api-run", kwargs={"client_id": self.client.pk, "pk": run.pk})
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SavedQueryRunsAPI(ClientAPIView):
    """GET the run history of one saved query (newest first)."""

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        sq = selectors.saved_query_get(client=self.client, pk=pk)
        runs = selectors.query_run_list(client=self.client, saved_query=sq)[:100]
        return Response({"results": [run_to_dict(r) for r in runs]})


class QueryRunAPI(ClientAPIView):
    """GET status/progress, and once finished one page of the result (?page=&page_size=)."""

    @extend_schema(parameters=[query("page", int), query("page_size", int)], responses=OBJECT)
    def get(self, request, client_id, pk):
        run = selectors.query_run_get(client=self.client, pk=pk)
        body = run_to_dict(run)
        if run.status == run.Status.SUCCEEDED:
            page, page_size = paging(request.query_params)
            columns, rows, total = selectors.query_run_result_page(client=self.client, run=run, page=page,
                                                                   page_size=page_size)
            result = run.result or {}
            body["result"] = {"columns": columns, "rows": jsonable(rows),
                              "truncated": result.get("truncated", False), "sql": result.get("sql", ""),
                              **page_meta(total, page, page_size)}
            if run.kind == "A" and rows and "member_id" not in columns:
                body["result"]["member_ids"] = store.member_ids(client_id=self.client.pk,
                                                                uuids=[r[0] for r in rows])
            body["result"] = masked_for(body["result"], pii=can_see_pii(self.membership))
        return Response(body)
