"""REST API of campaign-plan recommendations, under /api/v1/clients/<client_id>/plans/...

Asking only reads the shop's data, so a viewer may ask; choosing a plan creates a campaign
draft and needs a marketer. Objects are looked up within the client: a foreign id is a 404.
A ``PlanError`` propagates to the one exception handler (untitle.api_errors), which answers
with the documented error body, its ``link`` included.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.models import Role
from untitle.body import body_dict, optional_text
from untitle.openapi import OBJECT, body, number, text

from . import selectors, services
from .errors import PlanError, PlanErrorCode


_body = body_dict


class RecommendAPI(ClientAPIView):
    """POST {"purpose", "date"?, "engine"?, "reask_of"?} -> trends + six plans."""

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=body("RecommendRequest", purpose=text(help_text="acquisition | revisit | sales | awareness"),
                                date=text(help_text="YYYY-MM-DD"), engine=text(help_text="offline | gemini"),
                                reask_of=number()),
                   responses={201: OBJECT})
    def post(self, request, client_id):
        data = _body(request)
        if data.get("reask_of"):
            try:
                pk = int(data["reask_of"])
            except (TypeError, ValueError):
                raise PlanError(_("reask_of는 추천 id(숫자)여야 합니다."), code=PlanErrorCode.REASK_OF) from None
            parent = selectors.recommendation_get(client=self.client, pk=pk)
            rec = services.plan_reask(client=self.client, recommendation=parent, user=request.user)
        else:
            rec = services.recommend(client=self.client, purpose=optional_text(data, "purpose") or "",
                                     on_date=data.get("date"), engine=optional_text(data, "engine") or None,
                                     user=request.user)
        return Response(services.recommendation_payload(rec), status=201)


class RecommendationAPI(ClientAPIView):
    required_role = Role.VIEWER

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        rec = selectors.recommendation_get(client=self.client, pk=pk)
        return Response(services.recommendation_payload(rec))


class ChooseAPI(ClientAPIView):
    """POST {"plan": "low-online"} -> the campaign draft made from that plan."""

    required_role = Role.VIEWER
    write_role = Role.MARKETER

    @extend_schema(request=body("ChoosePlanRequest", plan=text()), responses={201: OBJECT})
    def post(self, request, client_id, pk):
        rec = selectors.recommendation_get(client=self.client, pk=pk)
        draft = services.plan_choose(client=self.client, recommendation=rec,
                                     plan_key=optional_text(_body(request), "plan") or "", user=request.user)
        return Response(draft_payload(draft), status=201)


def draft_payload(d) -> dict:
    return {"id": d.pk, "recommendation_id": d.recommendation_id, "plan_key": d.plan_key, "name": d.name,
            "prize": d.prize, "participation": d.participation, "budget_krw": d.budget_krw, "status": d.status,
            "predicted_roi": d.predicted_roi, "actual_roi": d.actual_roi,
            "messaging_campaign_id": d.messaging_campaign_id}
