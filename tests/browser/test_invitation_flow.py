"""An owner invites a colleague in the browser; the colleague opens the e-mailed link in another
browser, creates an account and lands on the shop's dashboard; the link then stops working."""
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tenants.models import Membership, Role
from tests.factories import make_member

pytestmark = pytest.mark.browser


@pytest.fixture
def eager_celery():
    from untitle.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def test_invite_accept_and_reuse(page, browser, browser_login, live_server, shop, eager_celery):
    owner = make_member(shop, Role.OWNER)
    browser_login(owner)
    page.goto(f"/c/{shop.slug}/settings/members/")
    page.locator("input[name=email]").fill("colleague@example.com")
    page.locator("select[name=role]").last.select_option("marketer")
    page.get_by_role("button", name="초대 메일 보내기").click()
    expect(page.locator(".messages")).to_contain_text("colleague@example.com")

    assert len(mail.outbox) == 1
    path = re.search(r"https?://[^/\s]+(/invite/[^/\s]+/)", mail.outbox[0].body).group(1)

    other = browser.new_context(locale="en-US", base_url=live_server.url)
    guest = other.new_page()
    try:
        guest.goto(path)
        expect(guest.locator("h1")).to_contain_text(shop.name)
        guest.locator("input[name=username]").fill("colleague")
        guest.locator("input[name=password1]").fill("Seoul-forest-2026!")
        guest.locator("input[name=password2]").fill("Seoul-forest-2026!")
        guest.get_by_role("button", name="계정 만들고 참여하기").click()
        expect(guest.get_by_test_id("dashboard-heading")).to_have_text(f"{shop.name} 대시보드")
        assert Membership.objects.get(client=shop, user__username="colleague").role == Role.MARKETER

        guest.context.clear_cookies()
        guest.goto(path)
        expect(guest.get_by_test_id("invitation-invalid")).to_contain_text("이미 사용된 초대입니다")
    finally:
        other.close()
