"""The 캠페인 추천 page in a real browser: pick a purpose, see six cards, choose one, record results."""
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def pet_shop(shop):
    shop.industry, shop.region = "반려동물 용품", "서울"
    shop.save()
    cache.clear()
    return shop


def test_pick_a_purpose_choose_a_plan_and_see_predicted_vs_actual(page, browser_login, pet_shop, marketer):
    browser_login(marketer)
    page.goto(f"/c/{pet_shop.slug}/plans/")
    page.get_by_label("재방문 유도").check()
    page.get_by_test_id("plans-submit").click()
    cards = page.locator("article.plan-card")
    expect(cards).to_have_count(6)
    expect(page.get_by_test_id("trends")).to_contain_text("시즌")
    for key in ("low-online", "low-offline", "medium-online", "medium-offline", "high-online", "high-offline"):
        expect(page.locator(f'article[data-plan="{key}"]')).to_contain_text("예상 ROI")
    title = page.locator('article[data-plan="low-online"] h3').inner_text()

    page.get_by_test_id("reask").click()
    expect(cards).to_have_count(6)
    assert page.locator('article[data-plan="low-online"] h3').inner_text() != title

    page.get_by_test_id("choose-medium-offline").click()
    expect(page.get_by_test_id("draft")).to_be_visible()
    predicted = page.get_by_test_id("predicted-roi").inner_text()
    page.get_by_label("참여자 수").fill("300")
    page.get_by_label("실제 비용").fill("1600000")
    page.get_by_label("매출").fill("4800000")
    page.get_by_test_id("save-results").click()
    expect(page.get_by_test_id("actual-roi")).to_have_text("200%")
    assert predicted.endswith("%")

    page.goto(f"/c/{pet_shop.slug}/plans/")
    expect(page.get_by_test_id("drafts-table")).to_contain_text("200%")
