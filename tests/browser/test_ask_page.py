"""The 질문하기 page in a real Chromium: ask, read the summary, the window and the table, save it,
run it through a real Celery worker and watch the history row finish."""
import pytest

from insights.saved_queries import services
from tests.ask_support import product_viewers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def collect_errors(page) -> list:
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_ask_on_the_page_shows_summary_window_and_table(page, browser_login, shop, marketer, celery_worker):
    today = shop.today()
    visitors = product_viewers(shop, 3, day=today)
    errors = collect_errors(page)
    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/ask/")
    page.fill("#ask-question", "최근 7일 동안 상품 3을 본 사람")
    page.select_option("#ask-engine", "offline")
    page.click("#ask-submit")

    summary = page.locator("[data-testid=answer-summary]")
    summary.wait_for(state="visible")
    assert "3명" in summary.inner_text()
    assert today.isoformat() in page.locator("[data-testid=answer-window]").inner_text()
    cells = page.locator("[data-testid=answer-table] tbody tr td:first-child").all_inner_texts()
    assert sorted(cells) == visitors
    assert "{client_id:Int32}" in page.locator("[data-testid=answer-sql]").text_content()
    assert page.locator("[data-testid=answer-rules] li").count() >= 2  # period + the condition
    assert not page.locator("#answer-pager").is_visible()  # one page only

    page.fill("#save-name", "상품 3 조회자")
    page.click("#save-form button[type=submit]")
    page.click("[data-testid=save-status] a")
    page.locator("[data-testid=saved-detail]").wait_for()
    assert "상품 3 조회자" in page.locator("h1").inner_text()

    # Run it: the worker executes, the history row polls itself to "완료" with the row count.
    page.click("[data-testid=run-now]")
    row = page.locator("[data-testid=run-history] tbody tr[data-status=succeeded]")
    row.wait_for(timeout=20_000)
    # By the header's name: the 읽은 행 column is shown only where the store can say it (not chDB).
    headers = page.locator("[data-testid=run-history] thead th").all_inner_texts()
    assert row.locator("td").nth(headers.index("결과 행")).inner_text() == "3"
    page.click(".show-result")
    page.locator("#run-result-table tbody tr").first.wait_for()
    assert sorted(page.locator("#run-result-table tbody tr td:first-child").all_inner_texts()) == visitors
    assert not errors, errors


def test_question_the_engine_cannot_answer_shows_the_reason(page, browser_login, shop, viewer):
    errors = collect_errors(page)
    browser_login(viewer)
    page.goto(f"/c/{shop.slug}/ask/")
    assert page.locator("#save-form").count() == 0  # a viewer cannot save
    page.fill("#ask-question", "내일 날씨 어때?")
    page.click("#ask-submit")
    page.locator("[data-testid=answer-summary]").wait_for(state="visible")
    assert page.locator("#answer-kind").inner_text() == "답할 수 없음"
    assert "날씨" in page.locator("[data-testid=answer-summary]").inner_text()
    assert not page.locator("[data-testid=answer-table]").is_visible()
    assert not errors, errors


def test_edited_rules_rerun_and_bad_json_is_explained(page, browser_login, shop, viewer):
    today = shop.today()
    product_viewers(shop, 2, product="3", day=today)
    product_viewers(shop, 5, product="8", day=today)
    browser_login(viewer)
    page.goto(f"/c/{shop.slug}/ask/")
    page.fill("#ask-question", "최근 7일 동안 상품 3을 본 사람")
    page.click("#ask-submit")
    page.locator("[data-testid=answer-summary]").wait_for(state="visible")
    assert page.locator("[data-testid=answer-table] tbody tr").count() == 2

    page.click("text=규칙을 직접 고쳐서 다시 실행")
    editor = page.locator("#ir-editor")
    editor.fill(editor.input_value().replace('"3"', '"8"'))
    page.click("#ir-rerun")
    page.wait_for_function("document.querySelectorAll('[data-testid=answer-table] tbody tr').length === 5")
    assert "규칙" in page.locator("#answer-engine").inner_text()

    editor.fill("{ not json")
    page.click("#ir-rerun")
    assert page.locator("[data-testid=ask-error]").inner_text() == "규칙(JSON)을 읽을 수 없습니다."


def test_saved_query_opens_with_its_rules_and_takes_edited_ones(page, browser_login, shop, marketer):
    from insights.models import SavedQuery
    from tests.ask_support import viewers_ir

    today = shop.today()
    product_viewers(shop, 1, product="3", day=today)
    product_viewers(shop, 4, product="8", day=today)
    sq = services.saved_query_create(client=shop, name="상품 조회자", question="상품 3 본 사람", ir=viewers_ir("3"))
    browser_login(marketer)
    page.goto(f"/c/{shop.slug}/ask/?saved={sq.pk}")
    page.wait_for_function("document.querySelectorAll('[data-testid=answer-table] tbody tr').length === 1")
    page.click("text=규칙을 직접 고쳐서 다시 실행")
    editor = page.locator("#ir-editor")
    editor.fill(editor.input_value().replace('"3"', '"8"'))
    page.click("#ir-rerun")
    page.wait_for_function("document.querySelectorAll('[data-testid=answer-table] tbody tr').length === 4")
    page.click("#save-update")
    page.locator("[data-testid=save-status]").filter(has_text="저장했습니다").wait_for()
    assert SavedQuery.objects.get(pk=sq.pk).ir["audience"]["filters"]["product_id"] == ["8"]
