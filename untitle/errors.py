"""One error base for every app, and the one JSON body every API error has (README, "API errors").

A service raises a subclass of ``AppError`` when the user can act on the problem: the message is
already in the user's language (Korean first), ``code`` is a member of the app's code enum, and
``status`` is the HTTP status an API answers with. ``untitle.api_errors`` turns it (and DRF's
own exceptions) into the body below; the collector, which is not a Django view, calls
``error_body`` itself. Pure: no Django, so pure packages and the collector can use it.

    {"code": "invalid_ir", "detail": "규칙이 올바르지 않습니다: ...",
     "fields": {"items.0.params.days": "365 이하로 입력해 주세요."},   # only for field errors
     "link": "/c/shop/settings/"}                                      # only where a page fixes it
"""
from __future__ import annotations

from enum import StrEnum
from typing import Mapping


class CommonCode(StrEnum):
    """Codes any app (and the exception handler) may answer with."""

    INVALID = "invalid"                  # a field or the body is not what the endpoint takes
    PARSE_ERROR = "parse_error"          # the body is not JSON
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"          # a store or vendor we depend on cannot be reached now
    SERVER_ERROR = "server_error"        # our fault; logged with its traceback


def error_body(code: str, detail: str, *, fields: Mapping[str, str] | None = None,
               link: str | None = None) -> dict:
    """The documented error body; ``fields`` and ``link`` only when they say something."""
    body: dict = {"code": str(code), "detail": str(detail)}
    if fields:
        body["fields"] = {str(k): str(v) for k, v in fields.items()}
    if link:
        body["link"] = link
    return body


class AppError(Exception):
    """A problem the user can act on. Subclass per app to give its codes a home and a default.

    ``detail`` is for logs and the audit trail only (a ClickHouse message, a vendor's answer);
    it never goes into the API body, where it could leak internals.
    """

    status: int = 400
    default_code: str = CommonCode.INVALID

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 fields: Mapping[str, str] | None = None, link: str | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.code = str(code or self.default_code)
        if status is not None:
            self.status = status
        self.fields = dict(fields or {})
        self.link = link
        self.detail = detail

    @property
    def field(self) -> str | None:
        """The one field a form should show the message beside (the first field error)."""
        return next(iter(self.fields), None)

    def body(self) -> dict:
        return error_body(self.code, self.message, fields=self.fields, link=self.link)
