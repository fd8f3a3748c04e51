"""Who a campaign goes to: its segment or saved question, resolved by insights."""
from __future__ import annotations

from django.conf import settings

from insights.facade import audience_members

from ..models import Campaign


def audience_visitors(*, campaign: Campaign, today=None) -> list[tuple[str, str]]:
    """(uuid, member_id or "") for everyone in the campaign's audience right now.

    A segment answers with its latest refresh snapshot, so the send and its report see the same
    people; a saved question runs live. Raises ``LookupError`` when the audience is gone.
    """
    if campaign.segment_id is not None:
        return audience_members(client=campaign.client, segment_id=campaign.segment_id,
                                limit=settings.CAMPAIGN_MAX_AUDIENCE, today=today)
    return audience_members(client=campaign.client, saved_query_id=campaign.saved_query_id,
                            limit=settings.CAMPAIGN_MAX_AUDIENCE, today=today)
