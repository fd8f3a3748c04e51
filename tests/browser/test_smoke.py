"""Smoke test in a real browser: log in through the form, see the dashboard, switch to English."""
import pytest
from playwright.sync_api import expect

from tenants.models import Role
from tests.factories import make_member

pytestmark = pytest.mark.browser


def test_login_dashboard_and_english(page, browser_login, shop, other_shop):
    user = make_member(shop, Role.OWNER)
    make_member(other_shop, Role.VIEWER, user=user)
    browser_login(user)
    expect(page.get_by_test_id("dashboard-heading")).to_have_text(f"{shop.name} 대시보드")
    nav = page.get_by_role("navigation", name="메뉴")
    for label in ("질문하기", "오디언스", "캠페인", "알림", "고객", "설정"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()

    # The client switcher goes to the other shop's dashboard.
    page.get_by_test_id("client-switcher").locator("summary").click()
    page.get_by_role("link", name=other_shop.name).click()
    expect(page.get_by_test_id("dashboard-heading")).to_have_text(f"{other_shop.name} 대시보드")

    # English through Django i18n.
    page.locator("#lang-select").select_option("en")
    page.wait_for_load_state()
    expect(page.get_by_test_id("dashboard-heading")).to_have_text(f"{other_shop.name} dashboard")
    nav = page.get_by_role("navigation", name="Menu")
    for label in ("Ask", "Audiences", "Campaigns", "Alerts", "Customers", "Settings"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_wrong_password_shows_korean_error(page, browser_login, shop):
    user = make_member(shop, Role.MARKETER)
    browser_login(user, password="not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("비밀번호를 입력하십시오")


def test_owner_changes_a_role_in_place_with_htmx(page, browser_login, shop):
    owner = make_member(shop, Role.OWNER)
    member = make_member(shop, Role.MARKETER)
    browser_login(owner)
    page.goto(f"/c/{shop.slug}/settings/members/")
    row = page.locator("tr", has_text=member.username)
    row.locator("select[name=role]").select_option("viewer")
    row.get_by_role("button", name="변경").click()
    expect(page.locator("tr", has_text=member.username).get_by_text("저장됨")).to_be_visible()
    assert member.memberships.get().role == Role.VIEWER
    assert page.url.endswith("/settings/members/")  # no full page reload needed


def test_removing_a_member_asks_first(page, browser_login, shop):
    owner = make_member(shop, Role.OWNER)
    member = make_member(shop, Role.VIEWER)
    browser_login(owner)
    page.goto(f"/c/{shop.slug}/settings/members/")
    row = page.locator("tr", has_text=member.username)
    page.once("dialog", lambda d: d.dismiss())
    row.get_by_role("button", name="멤버에서 제외").click()
    assert member.memberships.filter(client=shop).exists()  # cancelled: nothing happened
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="멤버에서 제외").click()
    expect(page.locator(".messages")).to_contain_text(member.username)
    assert not member.memberships.filter(client=shop).exists()
