"""A campaign's link is refused when it is saved, not only when it is sent: FCM opens only https
links, and a draft saved with an http:// link would fail at its first send."""
from __future__ import annotations

import pytest

from insights.segments.services import segment_create
from messaging.campaigns.services import campaign_create
from messaging.errors import MessagingError
from messaging.models import Campaign


def test_an_http_link_is_refused_before_the_draft_is_saved(shop, marketer):
    seg = segment_create(client=shop, name="링크 확인", rules={"op": "and", "items": [
        {"filter": "viewed_product", "params": {"days": 7}}]}, actor=marketer)
    with pytest.raises(MessagingError) as exc:
        campaign_create(client=shop, name="http 링크", channel="push", segment_id=seg.pk,
                        variants=[{"key": "a", "title": "세일", "body": "오늘만 할인"}],
                        link_url="http://shop.example.com/sale", actor=marketer)
    assert exc.value.field == "link_url" and "https://" in exc.value.message
    assert not Campaign.objects.filter(client=shop, name="http 링크").exists()
