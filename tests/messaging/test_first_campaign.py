"""A new shop's first campaign: saved as a draft with no channel set up; sending says what to do
next in the marketer's words (with the page that does it); the demo's simulated channel takes a
campaign through send -> clicks/orders of demo shoppers -> results, and only in the demo."""
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.urls import reverse

from events import clickhouse
from events.catalog import Code
from insights.models import SavedQuery
from messaging.campaigns.prepare import campaign_prepare
from messaging.campaigns.selectors import campaign_results
from messaging.campaigns.services import campaign_create, campaign_start
from messaging.errors import MessagingError
from messaging.models import Campaign, Delivery
from messaging.sending.services import campaign_send

pytestmark = pytest.mark.django_db
LOGIN_IR = {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
            "audience": {"type": "event", "event": "login", "filters": {}, "count": {"op": ">=", "value": 1}}}
AD = dict(sender_name="가게A", contact="02-123-4567", optout_text="무료수신거부 080-123-4567")
# An environment variable's name (FCM_CREDENTIALS, CAFE24_CLIENT_ID...) is operator talk.
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


def _campaign(client, channel, **kw):
    sq = SavedQuery.objects.create(client=client, name=f"로그인 {uuid.uuid4().hex[:6]}", ir=LOGIN_IR)
    return campaign_create(client=client, name="첫 캠페인", channel=channel, saved_query=sq,
                           variants=[{"key": "A", "body": "{{name}}님 신상품 10% 할인"}], **{**AD, **kw})


@pytest.fixture
def no_channels(settings):
    settings.FCM_CREDENTIALS = ""
    settings.CAFE24_CLIENT_ID = settings.CAFE24_CLIENT_SECRET = ""


@pytest.mark.parametrize("channel", ["push", "sms"])
def test_a_campaign_is_saved_as_a_draft_without_any_channel_set_up(shop, no_channels, channel):
    campaign = _campaign(shop, channel)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


@pytest.mark.parametrize("channel,link_name,label", [
    ("sms", "messaging:cafe24_settings", "Cafe24 연결하기"),
    ("push", "tenants:keys", "푸시 설정"),
])
def test_sending_without_a_channel_says_what_to_do_next_with_the_link(shop, no_channels, channel, link_name, label):
    campaign = _campaign(shop, channel)
    from messaging.campaigns.services import send_blocker

    link = reverse(link_name, kwargs={"slug": shop.slug})
    blocker = send_blocker(campaign=campaign)
    assert blocker is not None and blocker.link == link and blocker.link_label == label
    with pytest.raises(MessagingError) as exc:
        campaign_start(campaign=campaign, enqueue=False)
    assert exc.value.link == link and exc.value.status == 400
    assert not ENV_NAME.search(exc.value.message), exc.value.message
    assert not Delivery.objects.filter(campaign=campaign).exists()


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_campaign_page_refuses_the_send_and_links_to_the_fix(shop, marketer, login, no_channels):
    campaign = _campaign(shop, "sms")
    page = f"/c/{shop.slug}/campaigns/{campaign.pk}/"
    link = reverse("messaging:cafe24_settings", kwargs={"slug": shop.slug})
    html = login(marketer).get(page).content.decode()
    assert f'href="{link}"' in html and "Cafe24 연결하기" in html  # said before anyone clicks "보내기"
    html = login(marketer).post(f"{page}send/", follow=True).content.decode()
    text = _visible_text(html)
    assert "Cafe24" in text and f'href="{link}"' in html and not ENV_NAME.search(text), text
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_the_simulated_channel_exists_only_when_the_setting_is_on(shop, marketer, login, settings):
    settings.SIMULATED_CHANNEL = False
    html = login(marketer).get(f"/c/{shop.slug}/campaigns/new/").content.decode()
    assert "시뮬레이션 (데모 전용)" not in html
    with pytest.raises(MessagingError) as exc:
        _campaign(shop, Campaign.Channel.SIMULATED)
    assert exc.value.field == "channel"
    settings.SIMULATED_CHANNEL = True
    html = login(marketer).get(f"/c/{shop.slug}/campaigns/new/").content.decode()
    assert 'value="simulated"' in html and "시뮬레이션 (데모 전용)" in html


def test_production_settings_cannot_select_the_simulated_channel(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SIMULATED_CHANNEL)"
    base = {k: v for k, v in os.environ.items() if k not in ("UNTITLE_EMBEDDED", "SIMULATED_CHANNEL", "SECRET_KEY")}
    base.update(DJANGO_SETTINGS_MODULE="untitle.settings", UNTITLE_VAR_DIR=str(tmp_path))
    prod = {**base, "SECRET_KEY": "x" * 50, "SIMULATED_CHANNEL": "true"}
    embedded = {**base}
    out = {name: subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                cwd=os.getcwd(), timeout=120)
           for name, env in (("prod", prod), ("embedded", embedded))}
    assert out["prod"].returncode == 0, out["prod"].stderr[-2000:]
    assert out["prod"].stdout.strip().splitlines()[-1] == "False"
    assert out["embedded"].stdout.strip().splitlines()[-1] == "True"


def _sent_simulated(shop, n=600, holdout_pct=20):
    visitors = [str(uuid.UUID(int=uuid.uuid5(uuid.NAMESPACE_URL, f"v{i}").int)) for i in range(n)]
    campaign = _campaign(shop, Campaign.Channel.SIMULATED, holdout_pct=holdout_pct)
    campaign_prepare(campaign=campaign, recipients=[(v, "") for v in visitors])
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign_send(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_a_simulated_send_records_deliveries_and_demo_shoppers_respond(shop, settings):
    settings.SIMULATED_CHANNEL = True
    campaign = _sent_simulated(shop)
    assert campaign.status == Campaign.Status.SENT
    sent = list(Delivery.objects.filter(campaign=campaign, status="sent"))
    holdout = list(Delivery.objects.filter(campaign=campaign, status="holdout"))
    assert len(sent) + len(holdout) == 600 and sent and holdout
    clicks = clickhouse.query(
        "SELECT uuid, tracking_id FROM event WHERE client_id = {c:Int32} AND event_type = {t:UInt8}",
        {"c": shop.pk, "t": int(Code.MESSAGE_CLICK)}).rows
    by_uuid = {str(d.uuid): d.tracking_id for d in sent}
    held = {str(d.uuid) for d in holdout}
    assert clicks and all(by_uuid.get(str(u)) == tid for u, tid in clicks)  # the delivery's own tracking id
    assert not held & {str(u) for u, _t in clicks}                          # the holdout got nothing
    res = {g["variant"]: g for g in campaign_results(campaign=campaign)["groups"]}
    assert 0 < res["A"]["clickers"] < res["A"]["n"] * 0.15                  # a few percent click
    assert 0 < res["A"]["converters"] < res["A"]["clickers"] + res["A"]["n"] * 0.05
    assert res["A"]["revenue"] > 0 and res["A"]["lift"]["diff"] is not None
    assert res["holdout"]["n"] == len(holdout) and res["holdout"]["clickers"] == 0
    # A second run (a retried task) adds nothing: no delivery is sent twice, no response doubles.
    before = clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": shop.pk}).rows[0][0]
    campaign_send(campaign_id=campaign.pk)
    assert clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": shop.pk}).rows[0][0] == before


def test_simulated_behaviour_is_deterministic_and_plausible():
    from messaging.sending import simulated

    people = [(str(uuid.UUID(int=i + 1)), f"t{i}", i % 10 != 0) for i in range(40_000)]
    a = simulated.shopper_responses(campaign_id=7, people=people, seed=3)
    b = simulated.shopper_responses(campaign_id=7, people=people, seed=3)
    assert a == b and a != simulated.shopper_responses(campaign_id=7, people=people, seed=4)
    recipients = sum(1 for p in people if p[2])
    holdout = len(people) - recipients
    clickers = {r.uuid for r in a if r.kind == "click"}
    buyers = {r.uuid for r in a if r.kind == "order"}
    hold_ids = {p[0] for p in people if not p[2]}
    click_rate = len(clickers) / recipients
    order_rate = len(buyers - hold_ids) / recipients
    base_rate = len(buyers & hold_ids) / holdout
    assert 0.02 <= click_rate <= 0.08 and order_rate < click_rate
    assert not clickers & hold_ids
    assert base_rate == pytest.approx(simulated.BASE_ORDER_RATE, abs=0.01)
    assert order_rate > base_rate  # the message adds orders on top of the base rate
