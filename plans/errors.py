"""The errors a marketer can fix in campaign-plan recommendations: an unknown purpose, date,
engine or plan, a shop profile without an industry (answered with a link to the settings page),
a draft or results that cannot be saved (README, "API errors")."""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError, CommonCode


class PlanErrorCode(StrEnum):
    INVALID = CommonCode.INVALID
    NOT_FOUND = CommonCode.NOT_FOUND
    PURPOSE = "purpose"      # not one of engine.schema.PURPOSES
    DATE = "date"            # not YYYY-MM-DD
    ENGINE = "engine"        # neither gemini nor offline
    PROFILE = "profile"      # the shop has no industry yet (409, with a link to fix it)
    REASK_OF = "reask_of"    # a re-ask names no recommendation id
    PLAN = "plan"            # the chosen plan is not one of the six
    DRAFT = "draft"          # a draft without name, prize, participation or budget
    RESULTS = "results"      # measured results that are negative or give no ROI


class PlanError(AppError):
    """Bad input or a state the user can fix; ``message`` is shown as is (Korean), ``link`` is
    the page that fixes it where there is one."""

    default_code = PlanErrorCode.INVALID
