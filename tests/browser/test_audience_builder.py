"""The 오디언스 builder in a real Chromium: a sentence fills the rules and the live count, editing
a rule rewrites the description and recounts, a bad value shows a field error, saving opens the
segment page, a refresh through a real Celery worker fills the size and the export link works."""
import pytest

from tests.audience_support import shop_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sentence_rules_live_size_save_refresh_export(page, browser_login, shop, marketer, celery_worker):
    today = shop.today()
    story = shop_story(shop, today=today)
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/audiences/")

    page.fill("#nl-question", "최근 7일 장바구니에 담았지만 구매하지 않은 사람")
    page.click("[data-testid=nl-submit]")
    page.wait_for_function("document.querySelector('[data-testid=size]').textContent === '3'", timeout=15_000)
    assert "장바구니" in page.locator("[data-testid=description]").inner_text()
    assert page.locator("[data-testid=sample] tbody tr").count() == 3

    # Edit the rules by hand: add "visited on mobile" — nobody in the cart story is on mobile.
    page.click("[data-testid=add-rule] >> nth=0")
    page.locator("[data-testid=filter-select]").last.select_option("device")
    page.locator("[data-testid=rule]").last.locator("input[value=mobile]").check()
    page.wait_for_function("document.querySelector('[data-testid=size]').textContent === '0'", timeout=15_000)
    assert "모바일에서 방문" in page.locator("[data-testid=description]").inner_text()
    assert "조건에 맞는 방문자가 없습니다" in page.locator("[data-testid=size-message]").inner_text()

    # An out-of-range value: a field error beside the input, in Korean.
    days = page.locator("[data-testid=rule]").last.locator("input[data-param=days]")
    days.fill("999")
    err = page.locator("[data-error='items.1.params.days']")
    err.wait_for(state="visible")
    page.wait_for_function("document.querySelector(\"[data-error='items.1.params.days']\").textContent !== ''")
    assert "365 이하" in err.inner_text()

    # Remove it again and save the audience as a segment.
    page.locator("[data-testid=rule]").last.get_by_role("button", name="삭제").click()
    page.wait_for_function("document.querySelector('[data-testid=size]').textContent === '3'", timeout=15_000)
    page.fill("[data-testid=save-name]", "장바구니 이탈")
    page.click("[data-testid=save-segment]")
    page.locator("[data-testid=segment-page]").wait_for()
    page.click("[data-testid=refresh]")
    page.wait_for_function("document.querySelector('[data-testid=segment-size]') && "
                           "document.querySelector('[data-testid=segment-size]').textContent.trim() === '3'",
                           timeout=20_000)
    page.click("[data-testid=tab-entered]")
    page.wait_for_function("document.querySelectorAll('[data-testid=changes] tbody tr').length === 3")
    cells = page.locator("[data-testid=changes] tbody tr td:first-child").all_inner_texts()
    assert sorted(cells) == story["carters"]
    with page.expect_download() as dl:
        page.click("[data-testid=export-csv]")
    text = open(dl.value.path(), encoding="utf-8").read()
    assert text.splitlines()[0].replace('"', "") == "uuid,member_id" and len(text.splitlines()) == 4
    assert errors == []
