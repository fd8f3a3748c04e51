"""Reads the asking side needs besides the answer itself."""
from __future__ import annotations

import logging

from django.core.cache import cache

from tenants.models import Client

from .. import store

log = logging.getLogger(__name__)

ASK_CONTEXT_DAYS = 14
ASK_CONTEXT_TTL = 600
# Event columns whose frequent values the model is shown, by the name the prompt uses.
_CONTEXT_COLUMNS = {"products": "product_id", "categories": "category_id", "keywords": "keyword",
                    "boards": "board_id", "tracking_ids": "tracking_id"}


def ask_context(*, client: Client) -> dict:
    """The shop's own vocabulary for the model: its common product/category ids, keywords, boards,
    tracking ids and campaigns of the last two weeks. Cached; empty when the store is unreachable."""
    # The ingest key is random per client: a recreated database can never be served a stale entry.
    key = f"insights:ask-context:{client.pk}:{client.ingest_key}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        context = store.top_values(client_id=client.pk, columns=_CONTEXT_COLUMNS, days=ASK_CONTEXT_DAYS)
    except Exception:
        log.warning("ask context unavailable for client %s", client.pk, exc_info=True)
        return {}
    cache.set(key, context, ASK_CONTEXT_TTL)
    return context
