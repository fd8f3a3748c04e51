"""Reads of segments: the list, one segment, its snapshots (size history), its members (the
campaigns' hand-off, through insights.facade) and who entered / left in the latest refresh.

PII policy (tenants.privacy): marketers and owners see member ids whole, viewers masked
(me******01). A segment of another client is a 404.
"""
from __future__ import annotations

from typing import Iterator

from django.http import Http404
from django.utils.translation import gettext as _

from tenants.facade import can_see_pii, mask_member_id
from tenants.models import Client

from .. import store
from ..errors import AskError, AskErrorCode
from ..models import Segment, SegmentSnapshot



def segment_list(*, client: Client):
    return Segment.objects.filter(client=client).select_related("owner").order_by("name", "id")


def segment_get(*, client: Client, pk) -> Segment:
    try:
        return Segment.objects.select_related("client", "owner", "periodic_task").get(client=client, pk=int(pk))
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404


def snapshot_list(*, client: Client, segment: Segment):
    return SegmentSnapshot.objects.filter(client=client, segment=segment).order_by("-version")


def latest_snapshot(*, client: Client, segment: Segment) -> SegmentSnapshot | None:
    return (snapshot_list(client=client, segment=segment).filter(status=SegmentSnapshot.Status.SUCCEEDED)
            .first())


def segment_members(*, client: Client, segment: Segment) -> Iterator[tuple[str, str]]:
    """(uuid, member_id) of the latest successful snapshot, in uuid order, paged under the hood."""
    if segment.client_id != client.pk:
        raise Http404
    snap = latest_snapshot(client=client, segment=segment)
    if snap is None:
        return iter(())
    return store.segment_version_members(client_id=client.pk, segment_id=segment.pk, version=snap.version)


def segment_changes(*, client: Client, segment: Segment, kind: str, page: int = 1, page_size: int = 50,
                    membership=None) -> dict:
    """Who entered (or left) in the latest refresh versus the one before, one page at a time."""
    snaps = list(snapshot_list(client=client, segment=segment).filter(status=SegmentSnapshot.Status.SUCCEEDED)[:2])
    if kind not in ("entered", "left"):
        raise AskError(_("entered 또는 left 중 하나를 고르세요."), code=AskErrorCode.KIND)
    if not snaps:
        return {"kind": kind, "rows": [], "total": 0, "page": page, "page_size": page_size, "version": None}
    cur = snaps[0].version
    prev = snaps[1].version if len(snaps) > 1 else None
    total = getattr(snaps[0], kind)
    if prev is None and kind == "left":
        return {"kind": kind, "rows": [], "total": 0, "page": page, "page_size": page_size, "version": cur}
    rows = store.segment_version_changes(client_id=client.pk, segment_id=segment.pk, version=cur, previous=prev,
                                         kind=kind, limit=page_size, offset=(page - 1) * page_size)
    pii = can_see_pii(membership)
    return {"kind": kind, "version": cur, "previous_version": prev, "total": int(total), "page": page,
            "page_size": page_size,
            "rows": [{"uuid": str(u), "member_id": (m if pii else mask_member_id(m))} for u, m in rows]}
