"""The errors a marketer can fix in alerts: a mute that is out of range or names no series, and
notification settings that cannot deliver (README, "API errors")."""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError, CommonCode


class AlertErrorCode(StrEnum):
    INVALID = CommonCode.INVALID
    HOURS = "hours"                        # a mute's length: a whole number of hours, 1 to 30 days
    ENTITY_KIND = "entity_kind"            # a mute names a kind of series alerts do not scan
    METRIC = "metric"                      # a mute names a metric alerts do not scan
    EMAIL_RECIPIENTS = "email_recipients"  # a recipient is not an e-mail address
    WEBHOOK_URL = "webhook_url"            # the webhook is on without a usable URL


class AlertError(AppError, ValueError):
    """Bad input for a mute or the notification settings; ``message`` is shown as is (Korean).

    Also a ValueError: that is what these services raised before there was one error base, and
    callers that catch it (scripts, the shell) keep working.
    """

    default_code = AlertErrorCode.INVALID
