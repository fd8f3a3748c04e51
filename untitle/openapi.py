"""The OpenAPI schema of the JSON API (drf-spectacular): /api/schema/ and the Swagger UI at /api/docs/,
for logged-in users only.

Every operation declares the one error body (README, "API errors") as its 4xx/5xx responses,
``Error`` in the schema's components, so a client generated from the schema (and the
schemathesis run in tests/test_api_fuzz.py) knows the shape of every failure.
"""
from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """{"code", "detail", "fields"?, "link"?} (untitle/errors.py, error_body)."""

    code = serializers.CharField(help_text="A stable machine code: the app's enum or one of untitle.errors.CommonCode.")
    detail = serializers.CharField(help_text="What went wrong and what to do, in the user's language (Korean first).")
    fields = serializers.DictField(child=serializers.CharField(), required=False,
                                   help_text="Only for field errors: the field's path and its message.")
    link = serializers.CharField(required=False, help_text="Only where a page fixes the problem.")

    class Meta:
        ref_name = "Error"


_ITEM_PATH = re.compile(r"\{[^}]+\}/?$")


def drop_slash_aliases(endpoints):
    """Preprocessing hook: a route kept with and without its trailing slash for old clients
    (``ask`` and ``ask/``) is one operation, documented once (under the name without it)."""
    paths = {path for path, *_rest in endpoints}
    return [e for e in endpoints if not (e[0].endswith("/") and e[0].rstrip("/") in paths)]


ERROR_RESPONSES = {
    "400": "Bad input (a field, the body, a rule).",
    "403": "Not logged in, or the role does not allow it.",
    "404": "Not found, or not this client's.",
    "409": "A conflict with the object's state.",
    "422": "A query that hit a limit (time, memory, rows).",
    "429": "Too many at once: see Retry-After.",
    "503": "A store or vendor we depend on cannot be reached now.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the one error body on every operation."""

    def get_operation_id(self):
        # APIViews are not viewsets, so drf-spectacular calls a collection's GET "retrieve" like
        # its items' ("/segments/" and "/segments/{id}"): a collection path (no trailing
        # parameter) is a list, which keeps every operationId unique without numeral suffixes.
        operation_id = super().get_operation_id()
        if self.method == "GET" and operation_id.endswith("_retrieve") and not _ITEM_PATH.search(self.path):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for status, description in ERROR_RESPONSES.items():
                if status not in responses:
                    responses[status] = self._get_response_for_code(
                        OpenApiResponse(ErrorSerializer, description=description), status, direction=direction)
        return responses


# --- declarations for APIViews that read request.data themselves (no serializer) ----------------
# The views keep their own validation (and their Korean errors); these only tell the schema, and
# so its clients and the fuzzer, what a body and an answer look like.

from drf_spectacular.types import OpenApiTypes  # noqa: E402
from drf_spectacular.utils import OpenApiParameter, inline_serializer  # noqa: E402

OBJECT = OpenApiTypes.OBJECT
FILE = OpenApiTypes.BINARY


def body(component: str, /, **fields) -> serializers.Serializer:
    """A request body of these fields, all optional unless a field says otherwise."""
    return inline_serializer(name=component, fields=fields)


def text(**kwargs) -> serializers.CharField:
    kwargs.setdefault("required", False)
    return serializers.CharField(allow_blank=True, **kwargs)


def anything(**kwargs) -> serializers.JSONField:
    kwargs.setdefault("required", False)
    return serializers.JSONField(**kwargs)


def number(**kwargs) -> serializers.IntegerField:
    kwargs.setdefault("required", False)
    return serializers.IntegerField(**kwargs)


def query(name: str, type_=str, description: str = "", enum: list | None = None) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, required=False, description=description, enum=enum)
