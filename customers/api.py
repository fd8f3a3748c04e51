"""JSON API for customer segments: /api/v1/clients/<client_id>/customers/...

Viewers get every customer key (a Cafe24 member id) masked: the keys of a segment, a customer's
answer, the Q&A's text and facts.

Errors leave through the project's exception handler in the one body (README, "API errors")."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.facade import can_see_pii, mask_customer_key
from tenants.models import Role
from untitle.openapi import OBJECT, query

from . import selectors, services
from .errors import CustomersError, CustomersErrorCode


class CustomersAPIView(ClientAPIView):
    """Customer keys leave these views as the reader's role may see them (tenants.privacy)."""

    def shown(self, key: str) -> str:
        return key if can_see_pii(self.membership) else mask_customer_key(key)


class SegmentsAPI(CustomersAPIView):
    """Model version, segment sizes / value shares and customer keys per segment on request."""

    @extend_schema(parameters=[query("members", description="a segment name: its customer keys")], responses=OBJECT)
    def get(self, request, client_id):
        model = selectors.latest_model(client=self.client)
        body = {
            "model": ({"version": model.version, "as_of": model.as_of.isoformat(), "reason": model.reason,
                       "n_components": model.metrics.get("n_components"), "bic": model.metrics.get("bic")}
                      if model else None),
            "names": selectors.segment_names(self.client),
            "segments": selectors.segment_overview(client=self.client),
        }
        segment = request.query_params.get("members")
        if segment:
            body["members"] = [self.shown(k) for k in
                               selectors.customer_keys_in_segment(client=self.client, segment_name=segment)]
        return Response(body)


class CustomerAPI(CustomersAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, customer_key):
        p = selectors.profile_get(client=self.client, customer_key=customer_key)
        if p is None:
            raise CustomersError(_("고객을 찾을 수 없습니다."), code=CustomersErrorCode.NOT_FOUND, status=404)
        names = selectors.segment_names(self.client)
        return Response({
            "customer_id": self.shown(p.customer_key), "recency": p.recency_days, "frequency": p.frequency,
            "monetary": p.monetary, "segment": p.segment, "segment_name": names[p.segment],
            "probabilities": p.probabilities, "model_version": p.model_version,
            "last_order_at": p.last_order_at.isoformat(), "updated_at": p.updated_at.isoformat(),
            "moves": [{"from": m.from_segment, "to": m.to_segment, "reason": m.reason, "model_version": m.model_version,
                       "at": m.created_at.isoformat(), "details": m.details}
                      for m in selectors.recent_moves(client=self.client, customer_key=p.customer_key)],
        })


class AskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=300, error_messages={
        "blank": _("질문을 입력해 주세요."), "required": _("질문을 입력해 주세요.")})
    engine = serializers.ChoiceField(choices=["offline", "gemini"], default="offline")


class CustomerAskAPI(ClientAPIView):
    """Reading, so viewers may ask too (POST only because a question can be long)."""

    write_role = Role.VIEWER

    @extend_schema(request=AskSerializer, responses=OBJECT)
    def post(self, request, client_id):
        ser = AskSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return Response(services.answer_question(client=self.client, masked=not can_see_pii(self.membership),
                                                 **ser.validated_data))


class RefitAPI(ClientAPIView):
    write_role = Role.MARKETER

    @extend_schema(request=None, responses={202: OBJECT})
    def post(self, request, client_id):
        services.model_refit_request(client=self.client, actor=request.user)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
