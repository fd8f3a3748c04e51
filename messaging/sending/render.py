"""What one recipient sees: the variant's text with their values, and the advertising frame."""
from __future__ import annotations

from .. import compliance
from .. import templates as msg_templates
from ..models import Campaign, CampaignVariant, Delivery


def render_message(*, campaign: Campaign, variant: CampaignVariant, delivery: Delivery | None = None,
                   values: dict | None = None) -> tuple[str, str, str]:
    """(title, text, link) for one recipient, with the advertising frame when it is an ad."""
    tid = delivery.tracking_id if delivery else "preview"
    link = msg_templates.add_tracking(campaign.link_url, tid)
    vals = {"shop_name": campaign.client.name, "link": link, "member_id": delivery.member_id if delivery else "",
            **(values or {})}
    body = msg_templates.render(variant.body, vals)
    title = msg_templates.render(variant.title or campaign.title or campaign.client.name, vals)
    if campaign.is_ad:
        body = compliance.compose_ad(body, channel=campaign.channel, sender_name=campaign.sender_name,
                                     contact=campaign.contact, optout=campaign.optout_text)
    return title, body, link
