"""Public, cacheable read of the event type catalog (the SDK and integrators read it)."""
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from events import catalog
from untitle.openapi import OBJECT


class EventTypesAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        response = Response({"event_types": catalog.catalog()})
        # Codes never change meaning (catalog.py), so caches may keep this for an hour.
        patch_cache_control(response, public=True, max_age=3600)
        return response
