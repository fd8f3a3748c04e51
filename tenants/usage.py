"""Usage figures the tenant pages show (the dashboard's and the operators' "events in the last
7 days") but that another app measures.

tenants is the bottom layer and may not import events, so the figure comes through a provider
that events registers from its ``AppConfig.ready()`` (Django's own way of letting a lower app
call up: the upper app plugs itself in, the lower one never names it). Without a provider, or
when it fails (the event store is down), the figure is unknown and the pages show "—".
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable

log = logging.getLogger(__name__)

EventCounts = Callable[..., dict[int, int]]  # (*, client_ids, days) -> {client_id: events}
_event_counts: EventCounts | None = None


def provide_event_counts(provider: EventCounts) -> None:
    """Register the function that counts each client's events over the last ``days`` days."""
    global _event_counts
    _event_counts = provider


def client_event_counts(*, client_ids: Iterable[int], days: int = 7) -> dict[int, int] | None:
    """Events per client over the last ``days`` days; None when nobody can answer now."""
    ids = [int(i) for i in client_ids]
    if not ids:
        return {}
    if _event_counts is None:
        return None
    try:
        return _event_counts(client_ids=ids, days=days)
    except Exception:
        log.warning("event counts unavailable", exc_info=True)
        return None
