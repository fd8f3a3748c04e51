"""A campaign's web push against the documentation-shaped fake FCM (tests/fakes/fcm.py): only a
dead token removes a subscriber; a payload or configuration fault stops the campaign with what
to fix; QUOTA_EXCEEDED is waited out or resumed later, never turned into failures (issue 16.3)."""
import pytest

from messaging.campaigns.checks import campaign_check
from messaging.errors import MessagingError
from messaging.fcm.client import FCMConfigError
from messaging.models import Campaign, Delivery, PushSubscription
from messaging.sending.services import campaign_send
from tests.fakes.fixtures import fake_fcm  # noqa: F401

from .push_support import push_campaign, ready, subscribe

pytestmark = pytest.mark.django_db


def test_a_payload_fault_fails_the_campaign_and_deactivates_nobody(shop, fake_fcm):
    visitors = subscribe(shop, 5)
    campaign = push_campaign(shop)
    # A campaign saved before links were checked: FCM answers BadRequest on the link field.
    Campaign.objects.filter(pk=campaign.pk).update(link_url="http://shop.example/sale")
    ready(campaign, visitors)
    campaign_send(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == "failed" and "https://" in campaign.error and "fcm_options.link" in campaign.error
    assert PushSubscription.objects.filter(client=shop, is_active=True).count() == 5  # nobody wiped
    assert not Delivery.objects.filter(campaign=campaign, status="failed").exists()
    assert not fake_fcm.received


def test_a_bad_token_deactivates_that_subscription_only(shop, fake_fcm):
    visitors = subscribe(shop, 4)
    fake_fcm.invalid_tokens = {f"tok-{visitors[0]}"}
    fake_fcm.unregistered = {f"tok-{visitors[1]}"}
    campaign = ready(push_campaign(shop), visitors)
    progress = campaign_send(campaign_id=campaign.pk)
    assert progress["status"] == "sent" and progress["counts"]["sent"] == 2
    inactive = set(PushSubscription.objects.filter(client=shop, is_active=False).values_list("token_hash", flat=True))
    assert len(inactive) == 2
    assert set(str(u) for u in PushSubscription.objects.filter(client=shop, is_active=False)
               .values_list("uuid", flat=True)) == set(visitors[:2])


@pytest.mark.parametrize("knob, code", [("sender", "SENDER_ID_MISMATCH"), ("apns", "THIRD_PARTY_AUTH_ERROR")])
def test_configuration_errors_name_the_fix_and_keep_every_subscriber(shop, fake_fcm, knob, code):
    visitors = subscribe(shop, 3)
    if knob == "sender":
        fake_fcm.other_sender_tokens = {f"tok-{v}" for v in visitors}
    else:
        fake_fcm.third_party_auth_error = True
    campaign = ready(push_campaign(shop), visitors)
    with pytest.raises(FCMConfigError):
        campaign_send(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == "failed" and code in campaign.error and "구독자는 삭제하지 않았습니다" in campaign.error
    assert PushSubscription.objects.filter(client=shop, is_active=True).count() == 3
    assert not Delivery.objects.filter(campaign=campaign, status="failed").exists()


def test_quota_exceeded_past_the_wave_budget_resumes_on_the_next_run(shop, fake_fcm, settings):
    settings.FCM_QUOTA_WAIT_SECONDS = 0  # no waiting in this run: the rows must come back, not fail
    visitors = subscribe(shop, 6)
    campaign = ready(push_campaign(shop), visitors)
    fake_fcm.exhaust_quota(3600)
    progress = campaign_send(campaign_id=campaign.pk)
    assert progress["status"] == "sending" and progress["counts"]["pending"] == 6 and progress["counts"]["failed"] == 0
    assert not fake_fcm.received
    # A minute later the quota is back and the queued run (its eta is the rows' not_before) sends.
    fake_fcm.quota_until = 0
    Delivery.objects.filter(campaign=campaign).update(not_before=Delivery.objects.first().created_at)
    progress = campaign_send(campaign_id=campaign.pk)
    assert progress["status"] == "sent" and progress["counts"]["sent"] == 6
    assert set(fake_fcm.received.values()) == {1}


def test_quota_exceeded_within_the_budget_is_waited_out_in_the_same_run(shop, fake_fcm, settings):
    settings.FCM_QUOTA_WAIT_SECONDS = 10
    visitors = subscribe(shop, 3)
    campaign = ready(push_campaign(shop), visitors)
    fake_fcm.exhaust_quota(1.5)
    progress = campaign_send(campaign_id=campaign.pk)
    assert progress["status"] == "sent" and progress["counts"]["sent"] == 3


def test_the_campaign_check_refuses_an_http_link_before_anything_leaves(shop, fake_fcm):
    campaign = push_campaign(shop)
    Campaign.objects.filter(pk=campaign.pk).update(link_url="http://shop.example/")
    campaign.refresh_from_db()
    with pytest.raises(MessagingError) as exc:
        campaign_check(campaign)
    assert exc.value.field == "link_url" and "https://" in exc.value.message


def test_the_campaign_form_refuses_an_http_link(shop, marketer, login, fake_fcm):
    sq = push_campaign(shop).saved_query
    resp = login(marketer).post(f"/c/{shop.slug}/campaigns/new/", {
        "name": "봄", "channel": "push", "audience": f"query:{sq.pk}", "body_a": "안녕", "link_url": "http://shop.example/",
        "schedule_kind": "now", "holdout_pct": 10, "daily_cap": 2})
    assert resp.status_code == 400 and "https:// 로 시작해야" in resp.content.decode()
    assert not Campaign.objects.filter(client=shop, name="봄").exists()
