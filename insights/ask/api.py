"""REST API of asking: a question (or edited rules) and raw SQL, under /api/v1/clients/<client_id>/.

The client comes from the user's memberships (ClientPermission). Errors are ``AskError``s the
project's exception handler answers with (untitle.api_errors).
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.facade import can_see_pii
from tenants.models import Role

from untitle import limits
from untitle.openapi import OBJECT, anything, body, number, text
from untitle.body import body_dict, optional_text

from .. import store
from ..paging import page_meta, paging
from ..serializers import masked_for
from . import services


def page_audience(answer: dict, *, client, page: int, page_size: int) -> dict:
    """Kind A answers are paged; each page's visitors get their member id where one is known."""
    if answer.get("kind") != "A":
        answer.update(page_meta(len(answer.get("rows") or []), 1, max(1, len(answer.get("rows") or []))))
        return answer
    rows = answer.get("rows") or []
    total = len(rows)
    start = (page - 1) * page_size
    page_rows = rows[start:start + page_size]
    answer["rows"] = page_rows
    answer.update(page_meta(total, page, page_size))
    if "member_id" not in answer.get("columns", []):
        uuids = [r[0] for r in page_rows if r]
        answer["member_ids"] = store.member_ids(client_id=client.pk, uuids=uuids) if uuids else {}
    return answer


class AskAPI(ClientAPIView):
    """POST {"question", "engine"?, "today"?, "ir"?, "page"?, "page_size"?} -> the answer.

    Asking only reads, so a viewer may ask. ``ir`` re-runs edited rules instead of a question.
    """

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=body("AskRequest", question=text(max_length=500), engine=text(help_text="offline | gemini"),
                                today=text(help_text="YYYY-MM-DD"), ir=anything(help_text="edited rules (Query IR)"),
                                page=number(min_value=1), page_size=number(min_value=1, max_value=1000)),
                   responses=OBJECT)
    def post(self, request, client_id):
        data = body_dict(request)
        page, page_size = paging(data)
        engine = optional_text(data, "engine") or None
        with limits.api_slot(request, limits.Kind.ASK, client_id=self.client.pk):
            answer = services.ask_question(
                client=self.client, question=data.get("question", ""), engine=engine,
                today=data.get("today") or None, user=request.user, ir=data.get("ir"),
            )
            answer = page_audience(answer, client=self.client, page=page, page_size=page_size)
            return Response(masked_for(answer, pii=can_see_pii(self.membership)))


class RawSQLAPI(ClientAPIView):
    """POST {"sql"} for power users: through the guard, then read-only with limits."""

    required_role = Role.MARKETER
    write_role = Role.MARKETER

    @extend_schema(request=body("RawSQLRequest", sql=text(max_length=20_000)), responses=OBJECT)
    def post(self, request, client_id):
        data = body_dict(request)
        with limits.api_slot(request, limits.Kind.SQL, client_id=self.client.pk):
            return Response(services.run_raw_sql(client=self.client, sql=data.get("sql", ""), user=request.user))
