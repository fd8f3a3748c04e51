"""'나에게 테스트 발송' reaches only the marketer's own registered test recipients, with the
advertising rules of a real send and a per-hour limit (issue 17.5)."""
import json
from datetime import datetime, timezone as dt_timezone

import pytest

from messaging.errors import MessagingError
from messaging.models import TestRecipient
from messaging.sending.services import campaign_test_send
from tests.fakes.fixtures import connected, fake_cafe24, fake_fcm  # noqa: F401

from .push_support import AD, push_campaign, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    # The per-hour counter lives in the cache (Redis here), which outlives the test database.
    from django.core.cache import cache

    cache.clear()
NOON = datetime(2026, 11, 20, 3, 0, tzinfo=dt_timezone.utc)      # 12:00 in Seoul
NIGHT = datetime(2026, 11, 20, 13, 30, tzinfo=dt_timezone.utc)   # 22:30 in Seoul


def register_this_browser(client, shop, *, ad=True, night=False, token="my-browser"):
    import uuid

    resp = client.post(f"/c/{shop.slug}/campaigns/testers/device", json.dumps(
        {"uuid": str(uuid.uuid4()), "token": token, "ad_consent": ad, "night_consent": night}),
        content_type="application/json")
    assert resp.status_code == 201, resp.content
    return resp.json()["id"]


def test_any_subscribed_visitor_is_refused(shop, marketer, login, fake_fcm):
    stranger = subscribe(shop, 1, prefix="shopper")[0]  # a real customer's browser
    campaign = push_campaign(shop)
    resp = login(marketer).post(f"/c/{shop.slug}/campaigns/{campaign.pk}/test/", {"visitor": stranger}, follow=True)
    assert "내가 등록한 기기로만" in resp.content.decode()
    assert not fake_fcm.attempts


def test_only_my_registered_browser_gets_the_test(shop, marketer, owner, login, fake_fcm):
    c = login(marketer)
    register_this_browser(c, shop, token="mine")
    other = login(owner)
    register_this_browser(other, shop, token="the-owners")
    subscribe(shop, 3)
    campaign = push_campaign(shop, is_ad=True)
    out = campaign_test_send(campaign=campaign, actor=marketer, now=NOON)
    assert out == {"sent": 1, "failed": 0, "skipped": 0}
    assert list(fake_fcm.received) == ["mine"]
    body = fake_fcm.messages[0]["webpush"]["notification"]["body"]
    assert body.startswith("(광고)가게A") and "무료수신거부" in body  # the ad frame of a real send


def test_ads_need_the_test_devices_consent_and_night_consent_at_night(shop, marketer, login, fake_fcm):
    c = login(marketer)
    register_this_browser(c, shop, ad=True, night=False)
    campaign = push_campaign(shop, is_ad=True)
    with pytest.raises(MessagingError) as exc:
        campaign_test_send(campaign=campaign, actor=marketer, now=NIGHT)
    assert "야간" in exc.value.message and not fake_fcm.attempts
    assert campaign_test_send(campaign=campaign, actor=marketer, now=NOON)["sent"] == 1
    # Not an ad: no consent needed, night or not.
    info = push_campaign(shop, is_ad=False)
    assert campaign_test_send(campaign=info, actor=marketer, now=NIGHT)["sent"] == 1


def test_a_device_without_ad_consent_gets_no_ad(shop, marketer, login, fake_fcm):
    register_this_browser(login(marketer), shop, ad=False)
    with pytest.raises(MessagingError) as exc:
        campaign_test_send(campaign=push_campaign(shop, is_ad=True), actor=marketer, now=NOON)
    assert "동의" in exc.value.message and not fake_fcm.attempts


def test_test_sends_are_rate_limited_per_marketer(shop, marketer, login, fake_fcm, settings):
    settings.CAMPAIGN_TEST_SENDS_PER_HOUR = 2
    c = login(marketer)
    register_this_browser(c, shop)
    campaign = push_campaign(shop)
    for _ in range(2):
        campaign_test_send(campaign=campaign, actor=marketer, now=NOON)
    with pytest.raises(MessagingError) as exc:
        campaign_test_send(campaign=campaign, actor=marketer, now=NOON)
    assert exc.value.status == 429 and exc.value.code == "throttled" and "한 시간에 2번" in exc.value.message
    assert sum(fake_fcm.received.values()) == 2


def test_sms_test_goes_only_to_my_member_id(shop, marketer, login, connected, fake_cafe24):
    from messaging.campaigns.services import campaign_create

    c = login(marketer)
    assert c.post(f"/c/{shop.slug}/campaigns/testers/", {"member_id": "member0001"}).status_code == 302
    sq = push_campaign(shop).saved_query
    campaign = campaign_create(client=shop, name="문자", channel="sms", saved_query=sq, is_ad=True,
                               variants=[{"key": "A", "body": "오늘만 30%"}], **AD)
    with pytest.raises(MessagingError):
        campaign_test_send(campaign=campaign, actor=marketer, member_id="member0002", now=NOON)  # not mine
    assert campaign_test_send(campaign=campaign, actor=marketer, now=NOON)["sent"] == 1
    assert [call["member_id"] for call in fake_cafe24.sms_calls] == [["member0001"]]
    assert TestRecipient.objects.filter(user=marketer, kind="member").count() == 1
