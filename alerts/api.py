"""REST API: /api/v1/clients/<client_id>/alerts/...

A service's ``AlertError`` (a bad mute, say) propagates to the one exception handler, which
answers with the documented error body (untitle.api_errors)."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.models import Role
from untitle.body import BodyError, body_dict, text_field
from untitle.openapi import OBJECT, anything, body, number, query, text

from . import selectors, services


class AlertListAPI(ClientAPIView):
    @extend_schema(parameters=[query("state"), query("level"), query("page", int)], responses=OBJECT)
    def get(self, request, client_id):
        qs = selectors.alert_list(client=self.client, state=request.query_params.get("state") or None,
                                  level=request.query_params.get("level") or None)
        page = Paginator(qs, 50).get_page(request.query_params.get("page"))
        return Response({"count": page.paginator.count, "page": page.number,
                         "unread": selectors.unread_count(client=self.client),
                         "results": [services.alert_payload(a) for a in page.object_list]})


class AlertDetailAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        alert = selectors.alert_get(client=self.client, pk=pk)
        data = services.alert_payload(alert)
        data.update(acknowledged=alert.acknowledged_at is not None, muted=alert.muted,
                    explanation_source=alert.explanation_source, drilldown=alert.drilldown)
        return Response(data)


class AlertAcknowledgeAPI(ClientAPIView):
    write_role = Role.MARKETER

    @extend_schema(request=None, responses=OBJECT)
    def post(self, request, client_id, pk):
        alert = services.alert_acknowledge(alert=selectors.alert_get(client=self.client, pk=pk), actor=request.user)
        return Response({"id": alert.pk, "acknowledged_at": alert.acknowledged_at.isoformat()})


class AlertMuteAPI(ClientAPIView):
    write_role = Role.MARKETER

    @extend_schema(request=body("AlertMuteRequest", hours=number(min_value=1), entity_kind=text(), entity_id=anything(),
                                metric=text(), reason=text(max_length=200)),
                   responses={201: OBJECT})
    def post(self, request, client_id):
        d = body_dict(request)
        entity_id = d.get("entity_id", "")
        if isinstance(entity_id, (int, float)) and not isinstance(entity_id, bool):
            entity_id = str(entity_id)  # a product number sent as a JSON number is the same product
        elif entity_id is not None and not isinstance(entity_id, str):
            message = _("entity_id 값은 문자열이나 숫자여야 합니다.")
            raise BodyError(message, fields={"entity_id": message})
        mute = services.alert_mute_create(
            client=self.client, actor=request.user, hours=d.get("hours", 24),
            entity_kind=text_field(d, "entity_kind"), entity_id=entity_id or "",
            metric=text_field(d, "metric"), reason=text_field(d, "reason"))
        return Response({"id": mute.pk, "until": mute.until.isoformat()}, status=status.HTTP_201_CREATED)


class ExplainCountersAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id):
        return Response(services.explain_counters())
