"""What other apps may call in insights (DESIGN.md §2), besides the pure ``insights.query`` and
``insights.audience`` packages. Frozen dataclasses and plain tuples cross the boundary, never a
model instance or a queryset (PostHog's ``facade/contracts.py`` idea).

An *audience* is something a campaign can be sent to: a saved segment (its latest refresh
snapshot) or a saved question of kind A (run live when the campaign is prepared).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from tenants.models import Client

AudienceKind = Literal["segment", "query"]


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    id: int
    name: str

    @property
    def key(self) -> str:
        """The form value ("segment:3", "query:7") pages use to pick an audience."""
        return f"{self.kind}:{self.id}"


def audience_choices(*, client: Client) -> list[Audience]:
    """Every audience of the client: segments first, then saved questions that find visitors."""
    from .models import SavedQuery, Segment

    out = [Audience("segment", s.pk, s.name) for s in Segment.objects.filter(client=client).order_by("name")]
    out += [Audience("query", q.pk, q.name) for q in SavedQuery.objects.filter(client=client).order_by("name")
            if (q.ir or {}).get("kind") == "A"]
    return out


def audience_get(*, client: Client, segment_id: int | None = None,
                 saved_query_id: int | None = None) -> Audience | None:
    """The client's audience with this id, or None (another client's, missing, or not kind A)."""
    from .models import SavedQuery, Segment

    if segment_id is not None:
        seg = Segment.objects.filter(client=client, pk=segment_id).only("pk", "name").first()
        return Audience("segment", seg.pk, seg.name) if seg else None
    if saved_query_id is not None:
        sq = SavedQuery.objects.filter(client=client, pk=saved_query_id).only("pk", "name", "ir").first()
        return Audience("query", sq.pk, sq.name) if sq and (sq.ir or {}).get("kind") == "A" else None
    return None


def audience_members(*, client: Client, segment_id: int | None = None, saved_query_id: int | None = None,
                     limit: int, today: date | None = None) -> list[tuple[str, str]]:
    """(uuid, member_id or "") of everyone in the audience now, at most ``limit`` of them.

    A segment answers with its latest refresh snapshot (the send and its report see the same
    people); a saved question is compiled and run for ``today`` (the client's today by default).
    Raises ``LookupError`` when the audience is not the client's.
    """
    from itertools import islice

    from . import store
    from .models import SavedQuery, Segment
    from .query.compiler import compile_query
    from .query.ir import Query
    from .segments.selectors import segment_members

    if segment_id is not None:
        segment = Segment.objects.filter(client=client, pk=segment_id).first()
        if segment is None:
            raise LookupError(f"segment {segment_id} is not the client's")
        return [(str(u), m or "") for u, m in islice(segment_members(client=client, segment=segment), limit)]
    if saved_query_id is None:
        raise LookupError("no audience given")
    sq = SavedQuery.objects.filter(client=client, pk=saved_query_id).first()
    if sq is None or (sq.ir or {}).get("kind") != "A":
        raise LookupError(f"saved query {saved_query_id} is not an audience of the client")
    compiled = compile_query(Query.model_validate(sq.ir), client_id=client.pk, timezone=client.timezone,
                             today=today or client.today(), limit=limit)
    # An audience query answers (uuid, member_id) already; one row past ``limit`` only says "more".
    rows = store.audience_rows(compiled.sql, compiled.params, limit=limit)
    return [(str(u), m or "") for u, m in rows[:limit]]


def member_ids(*, client: Client, uuids: list) -> dict[str, str]:
    """Cafe24 member ids of the given visitors, where they ever logged in (one result page)."""
    from . import store

    return store.member_ids(client_id=client.pk, uuids=uuids)
