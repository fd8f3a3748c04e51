"""Pages of an answer's rows (``page`` / ``page_size`` in a body or a query string), the same for
an asked question and a saved question's run."""
from __future__ import annotations

import math

from django.utils.translation import gettext as _

from .errors import AskError, AskErrorCode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def paging(data) -> tuple[int, int]:
    def _int(name, default):
        try:
            return int(data.get(name) or default)
        except (TypeError, ValueError):
            raise AskError(_("%(name)s 값은 숫자여야 합니다.") % {"name": name}, code=AskErrorCode.PAGING)

    page = max(1, _int("page", 1))
    page_size = min(MAX_PAGE_SIZE, max(1, _int("page_size", DEFAULT_PAGE_SIZE)))
    return page, page_size


def page_meta(total: int, page: int, page_size: int) -> dict:
    return {"row_count": total, "page": page, "page_size": page_size,
            "num_pages": max(1, math.ceil(total / page_size)) if total else 1}
