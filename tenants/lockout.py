"""Login lockout with a limit per lockout parameter (django-axes has one limit for all of them).

settings.AXES_LOCKOUT_PARAMETERS is ``[["username", "ip_address"], "username"]``: the pair is
locked after AXES_FAILURE_LIMIT failures, the username from any address after the higher
AXES_USERNAME_FAILURE_LIMIT, so an attacker who never repeats an address is limited too.
"""
from django.conf import settings
from django.db.models import Sum

from axes.handlers.database import AxesDatabaseHandler


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        counts = [attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
                  for attempts in self.get_user_attempts(request, credentials)]
        pair = counts[0] if counts else 0
        by_username = counts[1] if len(counts) > 1 else 0
        # Axes compares the result with AXES_FAILURE_LIMIT: report the username's lock as reaching it.
        if by_username >= settings.AXES_USERNAME_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair
