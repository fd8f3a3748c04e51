"""The pages under the Content-Security-Policy ENFORCED (the other browser tests bypass it for
Playwright's eval-based helpers): no violation on any page of the walk, and the behaviour that moved
out of inline code still works (language switch, confirm before removing a member, the alert chart,
the customer and events charts)."""
import pytest
from playwright.sync_api import expect

from alerts import services
from alerts.models import Alert
from tenants.models import Role
from tests.factories import make_member
from tests.test_alerts import AT, burst, shop_traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strict_page(browser, live_server):
    context = browser.new_context(locale="en-US", base_url=live_server.url)  # CSP enforced
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations: list = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: violations.append(str(exc)))
    page.violations = violations
    yield page
    context.close()


def _login(page, user):
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.get_username())
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()


def test_pages_work_with_the_policy_enforced(strict_page, shop):
    page = strict_page
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = Alert.objects.get(client=shop, entity_kind="product", entity_id="7")
    owner = make_member(shop, Role.OWNER)
    member = make_member(shop, Role.VIEWER)
    _login(page, owner)

    for path in ("", "ask/", "ask/saved/", "audiences/", "customers/", "events/", "alerts/", "plans/",
                 "campaigns/", "settings/", "settings/keys/", "settings/members/"):
        resp = page.goto(f"/c/{shop.slug}/{path}")
        assert resp.status < 400, path
        page.wait_for_load_state("networkidle")
    # The alert chart, drawn by the script that used to be inline.
    page.goto(f"/c/{shop.slug}/alerts/{alert.pk}/")
    page.locator("[data-testid=alert-chart]").wait_for(state="visible")
    assert page.locator("canvas#alert-chart").evaluate("c => c.width > 0")
    assert page.evaluate("() => typeof window.alertChart") == "object"

    # Removing a member asks first (the confirm moved from onsubmit= to base.js).
    page.goto(f"/c/{shop.slug}/settings/members/")
    row = page.locator("tr", has_text=member.username)
    page.once("dialog", lambda d: d.dismiss())
    row.get_by_role("button", name="멤버에서 제외").click()
    assert member.memberships.filter(client=shop).exists()

    # The language switch (onchange= moved to base.js).
    page.select_option("#lang-select", "en")
    # The change submits a form: wait for the page it leads to, not the one already loaded
    # (wait_for_load_state() returned at once when the navigation had not started yet).
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.violations == []
