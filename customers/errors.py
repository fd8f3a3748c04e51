"""The errors the customer segments API answers with, in the one body (untitle/errors.py)."""
from __future__ import annotations

from enum import StrEnum

from untitle.errors import AppError, CommonCode


class CustomersErrorCode(StrEnum):
    INVALID = CommonCode.INVALID.value      # a question the Q&A endpoint cannot take
    NOT_FOUND = CommonCode.NOT_FOUND.value  # no such customer in this shop (another shop's looks the same)


class CustomersError(AppError):
    default_code = CustomersErrorCode.INVALID
