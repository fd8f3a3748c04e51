"""The 고객 page in a real Chromium: charts draw without script errors, the sizes table and a
question's answer show, the segment filter narrows the list (member ids masked for the viewer)
and a customer's page opens from it."""
import pytest

from customers import services
from tenants.facade import mask_member_id
from tests.customers_support import shop_population

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_overview_charts_question_filter_and_customer_page(page, browser_login, shop, viewer):
    groups = shop_population(shop)
    services.model_fit(client=shop)
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(viewer)
    page.goto(f"/c/{shop.slug}/customers/")
    assert page.locator("[data-testid=segment-sizes] tbody tr").count() == 4
    # Chart.js drew both charts (a canvas Chart.js owns has a chart instance)
    page.wait_for_function("window.Chart && Chart.getChart('rfm-chart') && Chart.getChart('moves-chart')",
                           timeout=15_000)
    n_points = page.evaluate("Chart.getChart('rfm-chart').data.datasets.reduce((a, d) => a + d.data.length, 0)")
    assert n_points == 24

    page.fill("#customer-q", "VIP 고객들의 특징은?")
    page.locator("#customer-q").press("Enter")
    answer = page.locator("[data-testid=customer-answer]")
    answer.wait_for()
    assert "우수 VIP" in answer.inner_text() and "6명" in answer.inner_text()

    page.select_option("#seg-filter", "dormant")
    page.get_by_role("button", name="보기").click()
    rows = page.locator("[data-testid=customer-list] tbody tr")
    rows.first.wait_for()
    keys = sorted(rows.nth(i).locator("td").first.inner_text() for i in range(rows.count()))
    # a viewer sees member ids masked (issue 17, finding 4) and opens a customer through the link
    assert keys == sorted(mask_member_id(k) for k in groups["dormant"])

    page.get_by_role("link", name=mask_member_id(groups["dormant"][0]), exact=True).first.click()
    page.locator("[data-testid=customer-segment]").wait_for()
    assert page.locator("[data-testid=customer-segment]").inner_text() == "휴면 이탈"
    assert page.locator("[data-testid=customer-history] tbody tr").count() == 2
    assert errors == []
