"""Why messaging refused an action: one error class and the codes it answers with.

The message is Korean and says what to do; ``fields`` names the form field it belongs to.
"""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError, CommonCode


class MessagingErrorCode(StrEnum):
    INVALID = CommonCode.INVALID          # a field of the campaign or the subscription is wrong
    NOT_CONFIGURED = "not_configured"     # the Cafe24 app keys are not set on this server
    NO_MALL = "no_mall"                   # the client has no Cafe24 mall id yet
    NO_CODE = "no_code"                   # Cafe24 came back from the OAuth consent without a code
    CONFLICT = "conflict"                 # a concurrent subscribe of the same push token won
    TEMPLATE = "template"                 # a message text uses an unknown {{variable}} or is empty
    COMPLIANCE = "compliance"             # an advertising message lacks what the law requires
    CAFE24_REVOKED = "cafe24_revoked"     # SMS needs a live Cafe24 connection
    NO_SENDER = "no_sender"               # SMS needs a sender number registered at Cafe24
    NO_FCM = "no_fcm"                     # web push needs FCM credentials
    EMPTY_AUDIENCE = "empty_audience"     # nobody to send to
    # The public endpoints (push subscribe, Cafe24's webhook)
    PARSE_ERROR = CommonCode.PARSE_ERROR          # the body is not a JSON object
    NOT_AUTHENTICATED = CommonCode.NOT_AUTHENTICATED  # no or an unknown ingest key
    PERMISSION_DENIED = CommonCode.PERMISSION_DENIED  # an origin the shop did not allow, a wrong webhook key


class MessagingError(AppError):
    """Bad input or a state that forbids the action; ``message`` is Korean and actionable."""

    default_code = MessagingErrorCode.INVALID
