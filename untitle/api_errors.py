"""The one DRF exception handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]) and the same body
for the few plain Django JSON views (the storefront's push subscription, Cafe24's webhook).

Every API error leaves here as ``untitle.errors.error_body``: our own ``AppError``s with their
code and fields, DRF's exceptions (404, 403, validation, parse errors, throttling) with DRF's
code, and an unexpected exception as a logged 500 ``server_error`` instead of an HTML page.
"""
from __future__ import annotations

import logging

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import AppError, CommonCode, error_body

log = logging.getLogger(__name__)

# DRF's own codes that ours spell the same way; anything else maps by exception class.
_DRF_CODES = {
    drf.ParseError: CommonCode.PARSE_ERROR,
    drf.NotAuthenticated: CommonCode.NOT_AUTHENTICATED,
    drf.AuthenticationFailed: CommonCode.NOT_AUTHENTICATED,
    drf.PermissionDenied: CommonCode.PERMISSION_DENIED,
    drf.NotFound: CommonCode.NOT_FOUND,
    drf.MethodNotAllowed: CommonCode.METHOD_NOT_ALLOWED,
    drf.UnsupportedMediaType: CommonCode.UNSUPPORTED_MEDIA_TYPE,
    drf.Throttled: CommonCode.THROTTLED,
    drf.ValidationError: CommonCode.INVALID,
}


def _flatten(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested {field: [ErrorDetail]} as {"field.sub": "first message"}."""
    out: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if detail and all(not isinstance(v, (dict, list)) for v in detail):
            out[prefix or "non_field_errors"] = str(detail[0])
        else:
            for i, value in enumerate(detail):
                out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    elif detail is not None:
        out[prefix or "non_field_errors"] = str(detail)
    return out


def _drf_body(exc: drf.APIException) -> dict:
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), CommonCode.INVALID)
    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None)
        detail = general or (next(iter(fields.values())) if fields else _("입력값을 확인해 주세요."))
        return error_body(code, detail, fields=fields)
    return error_body(code, str(exc.detail))


def exception_handler(exc, context):
    if isinstance(exc, AppError):
        set_rollback()
        return Response(exc.body(), status=exc.status)
    response = drf_exception_handler(exc, context)  # Http404 / PermissionDenied / APIException
    if response is not None:
        # DRF already turned Django's 404/403 into its own; read the class back from the status.
        if not isinstance(exc, drf.APIException):
            exc = drf.NotFound() if response.status_code == 404 else drf.PermissionDenied()
        response.data = _drf_body(exc)
        return response
    log.exception("unhandled API error", exc_info=exc)
    set_rollback()
    return Response(error_body(CommonCode.SERVER_ERROR,
                               _("요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.")), status=500)


def error_response(exc: AppError) -> JsonResponse:
    """The same body from a plain Django view."""
    return JsonResponse(exc.body(), status=exc.status)


def json_error(code: str, detail: str, *, status: int, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, detail, fields=fields), status=status)
