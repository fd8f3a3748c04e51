"""The storefront push client (untitle-push.js) in a real Chromium, on the subscribe page we serve
on our own origin (issue 16.8): it waits for its service worker to be activated before asking for
a token, and a later visit re-sends a changed or month-old token. Firebase's SDK is replaced by a
stand-in at its gstatic URL (tests/messaging/fake_firebase_messaging.js); our page, our worker
and our subscribe endpoint are real."""
import hashlib
import uuid
from pathlib import Path

import pytest

from messaging.models import PushSubscription
from tests.browser.conftest import browser, page  # noqa: F401  (the real-browser fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAKE_SDK = (Path(__file__).parent / "fake_firebase_messaging.js").read_text()
WEB_CONFIG = {"apiKey": "k", "projectId": "untitle-test", "messagingSenderId": "1", "appId": "1:1:web:1"}


@pytest.fixture
def push_page(page, settings, shop):  # noqa: F811
    settings.FCM_WEB_CONFIG, settings.FCM_VAPID_KEY = WEB_CONFIG, "BVAPID"
    page.context.grant_permissions(["notifications"])
    page.route("https://www.gstatic.com/firebasejs/**",
               lambda route: route.fulfill(status=200, content_type="text/javascript", body=FAKE_SDK))
    # Our real worker, with an install step that takes a second (a slow phone, a big cache): a
    # client that asks for the token without waiting for activation meets the race every time.
    real_sw = (Path(__file__).resolve().parents[2] / "messaging/static/messaging/untitle-sw.js").read_text()
    slow_install = ("self.addEventListener('install', function (e) {"
                    " e.waitUntil(new Promise(function (r) { setTimeout(r, 1000); })); });\n")
    page.context.route("**/static/messaging/untitle-sw.js",
                       lambda route: route.fulfill(status=200, content_type="text/javascript", body=slow_install + real_sw))
    return page


def test_subscribe_waits_for_the_worker_then_refreshes_a_month_old_token(push_page, shop):
    errors: list = []
    push_page.on("pageerror", lambda exc: errors.append(str(exc)))
    visitor = str(uuid.uuid4())
    push_page.goto(f"/push/{shop.ingest_key}/?uuid={visitor}")
    assert push_page.locator("link[rel=manifest]").count() == 1
    push_page.check("#push-ad")
    push_page.click("#push-subscribe")
    push_page.wait_for_function("() => document.getElementById('push-status').textContent.length > 0")
    assert push_page.locator("#push-status").inner_text() == "알림을 켰습니다."
    # The first getToken saw an activated worker (no "no active Service Worker" race).
    assert push_page.evaluate("window.__getTokenCalls") == ["activated"]
    sub = PushSubscription.objects.get(client=shop, uuid=visitor)
    assert sub.token == "tok-1" and sub.ad_consent and not sub.night_consent

    # A visit a day later with the same token: nothing to send.
    push_page.evaluate("""() => { const s = JSON.parse(localStorage.untitle_push);
        s.checked -= 2 * 864e5; localStorage.untitle_push = JSON.stringify(s); }""")
    push_page.reload()
    push_page.wait_for_function("() => window.__getTokenCalls && window.__getTokenCalls.length === 1")
    assert PushSubscription.objects.filter(client=shop).count() == 1

    # A month later Firebase hands out a new token: the page re-sends it with the same consents.
    push_page.add_init_script("window.__fakeFcmToken = 'tok-2'")
    push_page.evaluate("""() => { const s = JSON.parse(localStorage.untitle_push);
        s.at -= 31 * 864e5; s.checked -= 31 * 864e5; localStorage.untitle_push = JSON.stringify(s); }""")
    push_page.reload()
    push_page.wait_for_function("() => JSON.parse(localStorage.untitle_push).token === 'tok-2'")
    fresh = PushSubscription.objects.get(client=shop, uuid=visitor, token_hash=hashlib.sha256(b"tok-2").hexdigest())
    assert fresh.ad_consent and fresh.is_active
    assert errors == []


def test_the_subscribe_page_refuses_posts_from_other_origins(client, shop):
    resp = client.post(f"/push/{shop.ingest_key}/subscribe", b'{"uuid": "x", "token": "t"}',
                       content_type="application/json", HTTP_ORIGIN="https://evil.example")
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert client.get("/push/not-a-key/").status_code == 404
    manifest = client.get(f"/push/{shop.ingest_key}/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == f"/push/{shop.ingest_key}/"
