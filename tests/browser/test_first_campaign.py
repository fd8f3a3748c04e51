"""A new user walks the demo in a real Chromium, at desktop and phone widths: from the segment
setup_demo left ready to a sent (simulated) campaign and its results, as the README promises."""
import json
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from insights.facade import audience_choices
from tenants.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_demo_from_a_segment_to_a_sent_simulated_campaign_and_its_results(
        page, browser_login, settings, tmp_path, capsys, celery_worker, width, height):
    settings.VAR_DIR = tmp_path
    settings.SIMULATED_CHANNEL = True
    call_command("setup_demo", "--visitors", "300", "--days", "10", "--format", "json")
    demo_login = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    demo = Client.objects.get(slug="demo")
    segment = next(a for a in audience_choices(client=demo) if a.kind == "segment")
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # "이 캠페인을 보낼까요?"
    page.set_viewport_size({"width": width, "height": height})
    user = demo.memberships.get(user__username=demo_login["username"]).user
    browser_login(user, password=demo_login["password"])

    page.goto(f"/c/demo/audiences/segments/{segment.id}/")
    page.click("[data-testid=to-campaign]")
    # The demo offers the clearly labelled simulated channel, already chosen (no channel set up).
    channel = page.locator("#id_channel")
    assert channel.input_value() == "simulated"
    assert "시뮬레이션 (데모 전용)" in channel.locator("option:checked").inner_text()
    assert page.locator("#id_audience").input_value() == f"segment:{segment.id}"
    page.fill("#id_name", "장바구니 리마인드")
    page.fill("#id_body_a", "{{name}}님, 장바구니에 담은 상품을 잊지 마세요")
    page.fill("#id_contact", "02-123-4567")
    # expect() rather than wait_for_function: the pages' CSP forbids the eval the latter needs.
    expect(page.locator("#preview-out pre").first).to_contain_text("홍길동")
    assert page.locator("#preview-out pre").first.inner_text().startswith("(광고)데모 상점 홍길동님")
    page.click("#campaign-form button[type=submit]")

    expect(page.locator("[data-testid=simulated-note]")).to_contain_text("실제로는 아무에게도 보내지 않습니다")
    page.click("[data-testid=send]")
    expect(page.locator(".messages")).to_contain_text("발송을 시작했습니다")
    # The worker sends; the page polls progress to 100 %, a reload shows the results in words.
    expect(page.locator("#send-percent")).to_have_text(re.compile(r"^100(\.0)?$"), timeout=30_000)
    page.reload()
    summary = page.locator("[data-testid=results-summary]")
    expect(summary).to_be_visible()
    assert "발송" in summary.inner_text() and "클릭" in summary.inner_text() and "주문" in summary.inner_text()
    sent = int(page.locator("[data-testid=summary-sent]").inner_text())
    clicks = int(page.locator("[data-testid=summary-clicks]").inner_text())
    orders = int(page.locator("[data-testid=summary-orders]").inner_text())
    assert sent > 20 and 0 < clicks < sent and 0 < orders < sent
    lift = page.locator("[data-testid=lift-line]").first.inner_text()
    assert lift.startswith("A안: 대조군 대비 구매 전환") and "95% 신뢰구간" in lift
    expect(page.locator("#campaign-status")).to_have_text("발송 완료")
    expect(page.locator("#results-table tbody tr")).to_have_count(2)
    groups = page.locator("#results-table tbody tr td:first-child").all_inner_texts()
    assert groups == ["A안", "대조군"]
    # Nothing spills sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert errors == []
