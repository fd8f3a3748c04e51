"""Real-browser fixtures: Playwright (from PyPI) driving Debian's Chromium against a live server.

Reuse them in any test under tests/browser/:

- ``browser`` (per module): a headless Chromium launched from ``$CHROMIUM_PATH`` or
  ``/usr/bin/chromium`` with the flags these machines need. Playwright's own browser download
  does not work here, so it is never used.
- ``live_server``: pytest-django's live server (WSGI on a thread, transactional DB); pages,
  static files and forms work; the test and the server share the test database.
- ``page``: a fresh browser context (an en-US browser: the UI must start in Korean anyway;
  ``base_url`` = the live server) and page;
  ``page.goto("/c/<slug>/")`` works with relative URLs.
- ``browser_login(user, password=PASSWORD)``: logs ``user`` in through the real login form and
  returns the page on the page the login lands on.

Example::

    @pytest.mark.browser
    def test_something(page, browser_login, shop, owner):
        browser_login(owner)
        page.goto(f"/c/{shop.slug}/ask/")
        expect(page.get_by_role("heading", name="질문하기")).to_be_visible()

The ``shop``/``owner``/... fixtures from tests/conftest.py work here too; they are created in the
transactional database the live server reads.
"""
import os
import shutil

import pytest

from tests.factories import PASSWORD

# Playwright's sync API keeps an event loop running in this thread; Django's ORM then refuses to
# run from it unless told that this (test-only) use is fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if not os.path.exists(path):
        found = shutil.which("chromium")
        if not found:
            pytest.fail("Chromium not found: install it (bin/services does) or set CHROMIUM_PATH")
        path = found
    return path


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: while Playwright's sync API is alive its event loop counts as
    # running in this thread, and later tests that call asyncio.run() would fail.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    # An English browser on purpose: the UI must still start in Korean (Korean first).
    # bypass_csp: Playwright's string predicates (wait_for_function("...")) run through eval,
    # which our Content-Security-Policy refuses; tests/browser/test_csp_pages.py walks the pages
    # with the policy enforced and fails on any violation.
    context = browser.new_context(locale="en-US", base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def browser_login(page):
    def _login(user, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.locator("input[name=username]").fill(user.get_username())
        page.locator("input[name=password]").fill(password)
        page.locator("form[action='/accounts/login/'] button[type=submit]").click()
        page.wait_for_load_state()
        return page

    return _login
