"""The 질문하기 page in a real Chromium: ask, read the summary, the window and the table, save it,
run it through a real Celery worker and watch the history row finish."""
import os
import shutil
import tempfile

import pytest
from django.conf import settings as django_settings
from django.test import Client as DjangoClient

from insights import services
from tests.ask_support import product_viewers
from tests.test_saved_queries_celery import celery_worker  # noqa: F401  (fixture: a real worker)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(monkeypatch):
    playwright = pytest.importorskip("playwright.sync_api")
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.skip("chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tempfile.mkdtemp(prefix="ask-browser-")
    with playwright.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=path, args=CHROMIUM_FLAGS,
                                                    headless=True, locale="ko-KR")
        try:
            yield ctx
        finally:
            ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


def logged_in(ctx, live_server, user):
    dj = DjangoClient()
    dj.force_login(user)
    cookie = dj.cookies[django_settings.SESSION_COOKIE_NAME]
    ctx.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def test_ask_on_the_page_shows_summary_window_and_table(browser_page, live_server, shop, marketer, celery_worker):
    today = services.client_today(shop)
    visitors = product_viewers(shop, 3, day=today)
    page, errors = logged_in(browser_page, live_server, marketer)
    page.goto(f"{live_server.url}/c/{shop.slug}/ask/")
    page.fill("#ask-question", "최근 7일 동안 상품 3을 본 사람")
    page.select_option("#ask-engine", "offline")
    page.click("#ask-submit")

    summary = page.locator("[data-testid=answer-summary]")
    summary.wait_for(state="visible", timeout=15_000)
    assert summary.inner_text().strip()
    window = page.locator("[data-testid=answer-window]").inner_text()
    assert today.isoformat() in window
    cells = page.locator("[data-testid=answer-table] tbody tr td:first-child").all_inner_texts()
    assert sorted(cells) == visitors
    assert "{client_id:Int32}" in page.locator("[data-testid=answer-sql]").text_content()
    assert page.locator("[data-testid=answer-rules] li").count() >= 2  # period + the condition

    page.fill("#save-name", "상품 3 조회자")
    page.click("#save-form button[type=submit]")
    page.locator("[data-testid=save-status] a").wait_for(timeout=10_000)
    page.click("[data-testid=save-status] a")
    page.locator("[data-testid=saved-detail]").wait_for()
    assert "상품 3 조회자" in page.locator("h1").inner_text()

    # Run it: the worker executes, the history row polls itself to "완료" with the row count.
    page.click("[data-testid=run-now]")
    row = page.locator("[data-testid=run-history] tbody tr[data-status=succeeded]")
    row.wait_for(timeout=20_000)
    assert row.locator("td").nth(6).inner_text() == "3"
    page.click(".show-result")
    page.locator("#run-result-table tbody tr").first.wait_for()
    assert sorted(page.locator("#run-result-table tbody tr td:first-child").all_inner_texts()) == visitors
    assert not errors, errors


def test_question_the_engine_cannot_answer_shows_the_reason(browser_page, live_server, shop, viewer):
    page, errors = logged_in(browser_page, live_server, viewer)
    page.goto(f"{live_server.url}/c/{shop.slug}/ask/")
    assert page.locator("#save-form").count() == 0  # a viewer cannot save
    page.fill("#ask-question", "내일 날씨 어때?")
    page.click("#ask-submit")
    page.locator("[data-testid=answer-summary]").wait_for(state="visible", timeout=15_000)
    assert page.locator("#answer-kind").inner_text() == "답할 수 없음"
    assert page.locator("[data-testid=answer-summary]").inner_text().strip()
    assert not errors, errors
