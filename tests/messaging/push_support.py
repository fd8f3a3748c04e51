"""Helpers for the push tests: subscribed visitors and a push campaign ready to send."""
from __future__ import annotations

import uuid

from insights.models import SavedQuery
from messaging.campaigns.prepare import campaign_prepare
from messaging.campaigns.services import campaign_create
from messaging.models import Campaign
from messaging.sending.subscribers import push_subscribe

LOGIN_IR = {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
            "audience": {"type": "event", "event": "login", "filters": {}, "count": {"op": ">=", "value": 1}}}
AD = dict(sender_name="가게A", contact="02-123-4567", optout_text="무료수신거부 080-123-4567")


def subscribe(client, n, *, ad=True, night=False, prefix="tok"):
    visitors = [str(uuid.uuid4()) for _ in range(n)]
    for v in visitors:
        push_subscribe(client=client, visitor=v, token=f"{prefix}-{v}", ad_consent=ad, night_consent=night)
    return visitors


def push_campaign(client, **kw):
    args = dict(client=client, name="겨울 세일", channel="push",
                saved_query=SavedQuery.objects.create(client=client, name=f"로그인 {uuid.uuid4().hex[:6]}", ir=LOGIN_IR),
                variants=[{"key": "A", "body": "{{name}}님 30% 할인"}], link_url="https://shop.example/sale",
                holdout_pct=0, is_ad=False, **AD)
    args.update(kw)
    return campaign_create(**args)


def ready(campaign, visitors, now=None):
    campaign_prepare(campaign=campaign, recipients=[(v, "") for v in visitors], now=now)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    return campaign
