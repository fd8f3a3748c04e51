"""The alerts pages in a real Chromium: the list with its unread badge, an alert's chart with the
series and its baselines drawn by Chart.js, then acknowledge and mute from the page."""
import pytest

from alerts import services
from alerts.models import Alert
from tests.test_alerts import AT, burst, shop_traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_reads_the_chart_then_acknowledges_and_mutes(page, browser_login, shop, marketer):
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = Alert.objects.get(client=shop, entity_kind="product", entity_id="7")
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/alerts/")
    assert page.locator("[data-testid=alerts-unread]").inner_text().strip() != ""
    page.get_by_role("link", name="상품 '7'의 상품 조회").click()

    page.locator("[data-testid=alert-chart]").wait_for(state="visible")
    page.wait_for_function("window.alertChart !== undefined")
    labels = page.evaluate("window.alertChart.data.datasets.map(d => d.label)")
    assert labels[:4] == ["관측", "어제 같은 시각", "지난주 같은 시각", "예상"]
    observed = page.evaluate("window.alertChart.data.datasets[0].data")
    assert max(observed) == 63
    assert "급등" in page.locator("[data-testid=alert-level]").inner_text()
    assert "상품 '7'" in page.locator("[data-testid=alert-explanation]").inner_text()

    page.click("[data-testid=alert-ack]")
    page.locator("[data-testid=alert-acked]").wait_for(state="visible")
    page.fill("input[name=hours]", "3")
    page.click("[data-testid=alert-mute]")
    assert "3시간 동안" in page.locator(".messages").inner_text()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and shop.alert_mutes.count() == 1
    assert errors == []
