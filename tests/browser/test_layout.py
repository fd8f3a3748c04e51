"""Every page a marketer reaches from the menu, in Chromium at a laptop and a phone width, as owner
and as viewer (issue 19.6): the document never scrolls sideways, no visible element sticks out of
the viewport (a table may scroll inside its card), no form control spills out of its card (the
새 캠페인 form squeezed its inputs under the preview), no console error, no template text left
untranslated, and Korean is drawn with the bundled Pretendard — Debian's Chromium here has no CJK
font, exactly a new user's machine without one, so any other font would draw boxes.

The pages are found, not listed: the menu's links as each role sees them, the settings tabs, and
the first segment, saved question, campaign, alert, customer and plan linked from their lists."""
import re
import time

import pytest
from django.core.management import call_command

from alerts import services as alert_services
from customers import services as customer_services
from insights.saved_queries.services import saved_query_create
from messaging.campaigns.services import campaign_create
from tenants.models import Client, Role
from tests.factories import PASSWORD, make_member
from tests.test_alerts import AT, burst, shop_traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (390, 844)]
SUB_PAGES = {  # the first link of each kind found on the menu's pages (and on these pages)
    "saved questions": r"/ask/saved/$",
    "test recipients": r"/campaigns/testers/$",
    "alert settings": r"/alerts/settings/$",
    "customer settings": r"/customers/settings/$",
    "cafe24 settings": r"/settings/cafe24/$",
    "segment": r"/audiences/segments/\d+/$",
    "saved question": r"/ask/saved/\d+/$",
    "campaign": r"/campaigns/\d+/$",
    "new campaign": r"/campaigns/new/",
    "alert": r"/alerts/\d+/$",
    "customer": r"/customers/c/[^/]+/$",
    "plan": r"/plans/\d+/$",
}
MONO_LATIN = {"DejaVu Sans Mono", "Liberation Mono"}  # the system monospace fonts here: Latin only
REQUIRED = {"segment", "saved question", "campaign", "alert", "customer"}

# Where a visible element leaves the viewport once its scrolling/clipping ancestors are applied,
# and form controls wider than their card.
LAYOUT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '') +
    (el.dataset.testid ? `[${el.dataset.testid}]` : '');
  const visible = el => { const cs = getComputedStyle(el); return cs.visibility !== 'hidden' && cs.opacity !== '0'; };
  const clipped = el => {
    let l = -Infinity, r = Infinity;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') {
        const b = a.getBoundingClientRect(); l = Math.max(l, b.left); r = Math.min(r, b.right);
      }
    }
    return [l, r];
  };
  const outside = [], spills = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1 || !visible(el)) continue;
    const [l, r] = clipped(el);
    const left = Math.max(rect.left, l), right = Math.min(rect.right, r);
    if (right <= left) continue;  // wholly inside a scroll box's hidden part: scrolled into view there
    if (right > vw + 1 || left < -1) outside.push(`${name(el)} ${Math.round(left)}..${Math.round(right)}`);
  }
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
    const card = el.closest('.card, form');
    const rect = el.getBoundingClientRect();
    if (!card || rect.width <= 1 || !visible(el)) continue;
    const box = card.getBoundingClientRect();
    if (rect.right > box.right + 1 || rect.left < box.left - 1)
      spills.push(`${name(el)} ${Math.round(rect.left)}..${Math.round(rect.right)} in ${name(card)} ` +
                  `${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, vw, outside: outside.slice(0, 8),
          spills: spills.slice(0, 8)};
}"""

# The page's text as a reader sees it, without the places that show template syntax on purpose
# (the campaign form lists {{name}} as a variable in <code>).
TEXT_JS = """() => {
  const b = document.body.cloneNode(true);
  b.querySelectorAll('code, pre, script, template, textarea, input').forEach(e => e.remove());
  return b.textContent;
}"""

# Marks, for each font stack in use, the first element whose own text has Hangul (a <pre> of the
# campaign preview is monospace: a stack of its own that may lack Korean), for the probe below.
PROBE_JS = """() => {
  const seen = new Map();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const el = n.parentElement, cs = getComputedStyle(el);
    if (!/[\\uac00-\\ud7a3]/.test(n.data) || !el.getClientRects().length || cs.visibility === 'hidden') continue;
    if (seen.has(cs.fontFamily)) continue;
    el.setAttribute('data-font-probe', seen.size);
    seen.set(cs.fontFamily, n.data.trim().slice(0, 30));
  }
  return [...seen.values()];
}"""


def _seed_demo(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    settings.SIMULATED_CHANNEL = True
    call_command("setup_demo", "--visitors", "200", "--days", "10", "--format", "json")
    capsys.readouterr()
    demo = Client.objects.get(slug="demo")
    owner, viewer = make_member(demo, Role.OWNER), make_member(demo, Role.VIEWER)
    customer_services.model_fit(client=demo)
    question = saved_query_create(client=demo, name="최근 7일 로그인한 방문자", owner=owner, ir={
        "kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
        "audience": {"type": "event", "event": "login", "filters": {}, "count": {"op": ">=", "value": 1}}})
    campaign_create(client=demo, name="겨울 세일 알림", channel="push", saved_query=question,
                    # No {{name}} here: the campaign's page shows the marketer's text as written,
                    # which the untranslated-template check would take for a leak.
                    variants=[{"key": "A", "body": "겨울 세일이 시작됐어요"}],
                    link_url="https://shop.example/sale", sender_name="데모 상점", contact="02-123-4567",
                    optout_text="무료수신거부 080-123-4567", actor=owner)
    shop_traffic(demo)
    burst(demo, 60)
    alert_services.scan_client(client=demo, at=AT)
    return demo, owner, viewer


def _new_page(browser, live_server, size):
    context = browser.new_context(locale="en-US", base_url=live_server.url, bypass_csp=True,
                                  viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.console_errors.append(f"{page.url}: {exc}"))
    page.goto("/accounts/login/")
    return context, page


def _login(page, user):
    page.locator("input[name=username]").fill(user.get_username())
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()


def _hrefs(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("els => els.map(a => a.getAttribute('href'))")


def _discover(page, slug: str) -> list[str]:
    """The menu's pages, the settings tabs and the first sub-page of each kind, in the order found."""
    page.goto(f"/c/{slug}/")
    found = list(dict.fromkeys([f"/c/{slug}/", *_hrefs(page, "nav.mainnav a")]))  # the dashboard is in the menu too
    kinds: dict[str, str] = {}
    queue = list(found)
    while queue:
        page.goto(queue.pop(0))
        for href in _hrefs(page, f"main a[href^='/c/{slug}/']"):
            href = href.split("#")[0]
            for kind, pattern in SUB_PAGES.items():
                if kind not in kinds and re.search(pattern, href):
                    kinds[kind] = href
                    if href not in found:
                        queue.append(href)
        for href in _hrefs(page, ".tabs a"):
            if href not in found and href not in kinds.values():
                found.append(href)
                queue.append(href)
    assert REQUIRED <= set(kinds), f"not linked from the menu's pages: {REQUIRED - set(kinds)}"
    return found + [u for u in kinds.values() if u not in found]


def _fonts_of(page) -> list[tuple[str, set[str]]]:
    """The fonts Chromium really drew Korean text with (DevTools' platform fonts), per font stack."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    samples = page.evaluate(PROBE_JS)
    out = []
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        for i, text in enumerate(samples):
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-font-probe="{i}"]'})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            out.append((text, {f["familyName"] for f in fonts if f["glyphCount"]}))
    finally:
        cdp.detach()
    return out


def _check_page(page, url: str) -> list[str]:
    problems = []
    resp = page.goto(url)
    if resp.status != 200:
        return [f"{url}: HTTP {resp.status}"]
    page.wait_for_load_state("networkidle")
    layout = page.evaluate(LAYOUT_JS)
    if layout["scrollWidth"] > layout["vw"] + 1:
        problems.append(f"{url}: the page scrolls sideways ({layout['scrollWidth']} px in {layout['vw']})")
    if layout["outside"]:
        problems.append(f"{url}: outside the viewport: {layout['outside']}")
    if layout["spills"]:
        problems.append(f"{url}: form controls out of their card: {layout['spills']}")
    text = page.evaluate(TEXT_JS)
    for token in ("{%", "{{", "%("):
        if token in text:
            i = text.index(token)
            problems.append(f"{url}: template text {text[max(0, i - 30):i + 30]!r}")
    for sample, fonts in _fonts_of(page):
        # Latin in a monospace stack may come from a system font; Korean only from ours.
        if "Pretendard Variable" not in fonts or not fonts <= {"Pretendard Variable", *MONO_LATIN}:
            problems.append(f"{url}: {sample!r} drawn with {fonts}")
    return problems


def test_every_page_fits_both_widths_for_owner_and_viewer(browser, live_server, settings, tmp_path, capsys):
    demo, owner, viewer = _seed_demo(settings, tmp_path, capsys)
    started = time.monotonic()
    problems: list[str] = []
    visited = 0
    for user, role in ((owner, "owner"), (viewer, "viewer")):
        urls = None
        for size in SIZES:
            context, page = _new_page(browser, live_server, size)
            try:
                _login(page, user)
                if urls is None:
                    urls = _discover(page, demo.slug)
                    print(f"{role}: {len(urls)} pages: {' '.join(urls)}")
                for url in urls:
                    problems += [f"[{role} {size[0]}] {p}" for p in _check_page(page, url)]
                    visited += 1
                problems += [f"[{role} {size[0]}] console: {e}" for e in page.console_errors]
            finally:
                context.close()
    print(f"layout walk: {visited} page views in {time.monotonic() - started:.1f} s")
    assert not problems, "\n".join(problems)


def test_first_page_downloads_only_the_font_slices_it_shows(browser, live_server, settings, tmp_path, capsys):
    demo, owner, _viewer = _seed_demo(settings, tmp_path, capsys)
    context, page = _new_page(browser, live_server, SIZES[0])
    try:
        # The login page, a new user's first page: what its fonts cost over the wire.
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        assert page.evaluate("() => document.fonts.check('16px \"Pretendard Variable\"', '가')")
        fonts = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter(e => e.name.endsWith('.woff2')).map(e => e.encodedBodySize)""")
        total = sum(fonts)
        print(f"font bytes on the login page: {total} in {len(fonts)} files")
        # The whole font is 2.97 MB; the slices of a page's characters are a small part of it.
        assert 0 < total < 1_000_000, (total, len(fonts))
        # Then the dashboard: only the slices the login page did not need come over the wire.
        _login(page, owner)
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        more = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter(e => e.name.endsWith('.woff2') && e.transferSize > 0).map(e => e.encodedBodySize)""")
        print(f"font bytes the dashboard adds: {sum(more)} in {len(more)} files")
        assert sum(more) < 1_000_000
    finally:
        context.close()
