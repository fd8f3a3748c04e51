"""The errors events answers with: the collector's codes (the SDK reads them, so they never
change) and the raw-export API's. One body for all of them, ``untitle.errors.error_body``."""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError, CommonCode


class EventsErrorCode(StrEnum):
    # The collector (events/collector/app.py documents each one)
    BAD_JSON = "bad_json"
    INVALID_EVENTS = "invalid_events"
    INVALID_REQUEST = "invalid_request"
    MISSING_KEY = "missing_key"
    UNKNOWN_KEY = "unknown_key"
    INACTIVE_CLIENT = "inactive_client"
    CLIENT_MISMATCH = "client_mismatch"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    METHOD_NOT_ALLOWED = CommonCode.METHOD_NOT_ALLOWED.value
    TOO_LARGE = "too_large"
    TOO_MANY_EVENTS = "too_many_events"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = CommonCode.NOT_FOUND.value
    INTERNAL = "internal"
    # The collector's buffer or, for an export, the event store cannot be reached now
    UNAVAILABLE = CommonCode.UNAVAILABLE.value
    # An export request the user can correct (dates, range, format)
    INVALID = CommonCode.INVALID.value


class EventsError(AppError):
    default_code = EventsErrorCode.INVALID
