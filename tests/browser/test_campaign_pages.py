"""Campaign pages in a real Chromium: the live preview shows the advertising frame as you type,
and a sent campaign's page shows its progress and results."""
import uuid

import pytest
from playwright.sync_api import expect

from insights.models import SavedQuery
from messaging.campaigns.prepare import campaign_prepare
from messaging.campaigns.services import campaign_create
from messaging.models import Campaign
from messaging.sending.services import campaign_send
from messaging.sending.subscribers import push_subscribe
from tests.fakes.fixtures import fake_fcm  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOGIN_IR = {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
            "audience": {"type": "event", "event": "login", "filters": {}, "count": {"op": ">=", "value": 1}}}


def test_preview_updates_live_and_flags_a_bad_variable(page, browser_login, shop, marketer):
    SavedQuery.objects.create(client=shop, name="최근 로그인", ir=LOGIN_IR)
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/campaigns/new/")
    page.fill("#id_sender_name", "가게A")
    page.fill("#id_contact", "02-123-4567")
    page.fill("#id_body_a", "{{name}}님 겨울 세일")
    preview = page.locator("#preview-out")
    preview.locator("pre").first.wait_for()
    # expect() rather than wait_for_function: the pages' CSP forbids the eval the latter needs.
    expect(preview.locator("pre").first).to_contain_text("홍길동")
    text = preview.locator("pre").first.inner_text()
    assert text.startswith("(광고)가게A 홍길동님 겨울 세일") and "무료수신거부" in text
    page.fill("#id_body_a", "{{coupon}} 드려요")
    expect(preview.locator("pre").first).to_contain_text("알 수 없는 변수")
    assert errors == []


def test_sent_campaign_page_shows_progress_and_results(page, browser_login, shop, marketer, fake_fcm):
    visitors = [str(uuid.uuid4()) for _ in range(20)]
    for v in visitors:
        push_subscribe(client=shop, visitor=v, token=f"tok-{v}", ad_consent=True, night_consent=True)
    sq = SavedQuery.objects.create(client=shop, name="최근 로그인", ir=LOGIN_IR)
    campaign = campaign_create(client=shop, name="겨울 세일", channel="push", saved_query=sq,
                                        variants=[{"key": "A", "body": "세일"}], sender_name="가게A",
                                        contact="02-123-4567", optout_text="무료수신거부 080-123-4567", holdout_pct=20)
    campaign_prepare(campaign=campaign, recipients=[(v, "") for v in visitors])
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign_send(campaign_id=campaign.pk)
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/campaigns/{campaign.pk}/")
    expect(page.locator("#results-table tbody tr")).to_have_count(2)
    assert float(page.locator("#send-percent").inner_text()) == 100
    rows = page.locator("#results-table tbody tr td:first-child").all_inner_texts()
    assert "대조군" in rows and "A안" in rows
    assert "알림톡 대비 절감" in page.locator("#cost-saved").inner_text()
    assert errors == []
