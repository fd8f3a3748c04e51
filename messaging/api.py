"""Messaging API: the public push-subscribe endpoint (ingest key + allowed origin), the Cafe24
webhook, and campaign progress/results for signed-in marketers.

The two public endpoints are plain Django views (no session, no DRF negotiation) and answer
errors in the same body as the DRF ones (``untitle.api_errors``)."""
from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from events.facade import client_info_from
from tenants.access import ClientAPIView
from tenants.models import Client
from untitle.api_errors import error_response, json_error
from untitle.body import BodyError, json_object
from untitle.openapi import OBJECT

from .campaigns import selectors as campaign_selectors
from .connection.webhook import cafe24_webhook
from .errors import MessagingError, MessagingErrorCode
from .sending.subscribers import push_subscribe


def _cors(resp, origin: str):
    if origin:
        resp["Access-Control-Allow-Origin"] = origin
        resp["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        resp["Access-Control-Allow-Headers"] = "Content-Type, X-Untitle-Key"
        resp["Access-Control-Max-Age"] = "600"
        resp["Vary"] = "Origin"
    return resp


@method_decorator(csrf_exempt, name="dispatch")
class PushSubscribeAPI(View):
    """POST /api/v1/push/subscribe {ingest_key, uuid, token, kind, ad_consent, night_consent}.

    Public like the collector: the ingest key names the shop, and a browser may only call from
    the shop's own origins, so another site cannot plant subscriptions for a shop.
    """

    def _client_and_origin(self, request, key: str):
        origin = request.headers.get("Origin", "")
        row = Client.objects.filter(ingest_key=key).values("id", "is_active", "mall_id", "allowed_origins").first() \
            if key else None
        if row is None or not row["is_active"]:
            return None, ""
        info = client_info_from(row)
        if origin and not info.allows(origin.rstrip("/").lower()):
            return False, ""
        return Client.objects.get(pk=row["id"]), origin

    def options(self, request):
        key = request.GET.get("key") or request.headers.get("X-Untitle-Key", "")
        client, origin = self._client_and_origin(request, key)
        return _cors(HttpResponse(status=204), origin if client else "")

    def post(self, request):
        try:
            data = json_object(request.body)
        except BodyError as exc:
            return error_response(exc)
        key = data.get("ingest_key") or request.GET.get("key") or request.headers.get("X-Untitle-Key", "")
        client, origin = self._client_and_origin(request, str(key or ""))
        if client is None:
            return json_error(MessagingErrorCode.NOT_AUTHENTICATED, _("수집 키가 올바르지 않습니다."), status=401)
        if client is False:
            return json_error(MessagingErrorCode.PERMISSION_DENIED,
                              _("허용되지 않은 출처입니다. 설정 > 키에서 허용 출처를 추가해 주세요."), status=403)
        try:
            sub = push_subscribe(client=client, visitor=data.get("uuid", ""), token=data.get("token", ""),
                                 kind=data.get("kind") or "fcm", ad_consent=bool(data.get("ad_consent")),
                                 night_consent=bool(data.get("night_consent")))
        except MessagingError as exc:
            return _cors(error_response(exc), origin)
        return _cors(JsonResponse({"ok": True, "ad_consent": sub.ad_consent}, status=201), origin)


@method_decorator(csrf_exempt, name="dispatch")
class Cafe24WebhookAPI(View):
    """POST /api/v1/cafe24/webhook: Cafe24 asks apps to check an API key and answer 403."""

    def post(self, request):
        expected = settings.CAFE24_WEBHOOK_KEY
        given = request.headers.get("X-Api-Key") or request.headers.get("X-Cafe24-Api-Key") or request.GET.get("key", "")
        if not expected or not hmac.compare_digest(expected.encode(), str(given).encode()):
            return json_error(MessagingErrorCode.PERMISSION_DENIED, "forbidden", status=403)
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return json_error(MessagingErrorCode.PARSE_ERROR, "invalid JSON", status=400)
        if not isinstance(payload, dict):
            return json_error(MessagingErrorCode.INVALID, "invalid payload", status=400)
        return JsonResponse({"result": cafe24_webhook(payload=payload)})


class CampaignProgressAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        campaign = campaign_selectors.campaign_get(client=self.client, pk=pk)
        return Response(campaign_selectors.campaign_progress(campaign=campaign))


class CampaignResultsAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        campaign = campaign_selectors.campaign_get(client=self.client, pk=pk)
        return Response(campaign_selectors.campaign_results(campaign=campaign))
