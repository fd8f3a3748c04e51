"""What an API view reads from a JSON body: parsed strictly, fields taken with their type checked.

Fuzzing (issue 17, finding 10) found 500s from bodies a client can send: a string with a lone
UTF-16 surrogate (``"\\ud800"`` is valid JSON and Python reads it, but neither Postgres nor any
UTF-8 encoder takes it), arrays nested thousands deep (RecursionError inside ``json.loads``), and
fields of the wrong JSON type reaching code that calls ``.strip()``. The parser turns the first
two into a 400 ``parse_error`` before any view runs; ``text_field`` / ``optional_text`` the third
into a 400 ``invalid`` naming the field.
"""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import AppError, CommonCode


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_in(value: Any) -> bool:
    """Whether any string (key or value) of parsed JSON holds a lone surrogate; iterative, any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _has_lone_surrogate(item):
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _has_lone_surrogate(key):
                    return True
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus the two bodies it lets through to a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON이 너무 깊게 중첩되어 있습니다.")) from None
        if lone_surrogate_in(data):
            raise ParseError(_("JSON 문자열에 올바르지 않은 유니코드 문자(짝이 없는 서로게이트)가 있습니다."))
        return data


class BodyError(AppError):
    default_code = CommonCode.INVALID


def body_dict(request) -> dict:
    """The request's JSON object (an empty body reads as no fields). A list or a bare value is a
    400: read as "no fields" it would, for a mute, silence every alert."""
    data = request.data
    if isinstance(data, dict):  # a form's QueryDict is one too
        return data
    raise BodyError(_("요청 본문은 JSON 객체({...})여야 합니다."))


def json_object(raw: bytes) -> dict:
    """The JSON object of a plain Django view's body (the storefront's push subscription, a test
    device), under the same rules as the API's parser: not JSON, not an object, nested past the
    recursion limit or holding a lone surrogate is a 400 ``parse_error``; empty reads as {}."""
    import json

    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or lone_surrogate_in(data):
        raise BodyError(_("JSON 객체를 보내 주세요."), code=CommonCode.PARSE_ERROR)
    return data


def optional_text(data: dict, name: str) -> str | None:
    """A string field that may be absent or null (``None``); any other JSON type is a 400 naming it."""
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    message = _("%(field)s 값은 문자열이어야 합니다.") % {"field": name}
    raise BodyError(message, fields={name: message})


def text_field(data: dict, name: str, default: str = "") -> str:
    """A string field; absent or null gives ``default``."""
    value = optional_text(data, name)
    return default if value is None else value
