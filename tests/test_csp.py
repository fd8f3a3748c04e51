"""Content-Security-Policy (issue 17, finding 11): every page answers with the policy, and no
template needs what the policy refuses (inline <script>, on*= handlers, style="" or <style>)."""
import re
from pathlib import Path

from django.conf import settings as dj_settings

from tenants.models import Role
from tests.factories import make_member

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "untitle" / "templates", *(p for p in ROOT.glob("*/templates") if "untitle" not in str(p))]

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
# Anywhere, not only inside a tag as parsed: a template tag before the attribute ({% ... %}onsubmit=)
# has a ">" of its own.
HANDLER = re.compile(r"(?<![\w-])on[a-z]{3,}\s*=\s*[\"']", re.I)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)


def _templates():
    for d in TEMPLATE_DIRS:
        yield from sorted(d.rglob("*.html"))


def test_no_template_needs_inline_script_or_style():
    found = []
    for path in _templates():
        text = path.read_text()
        for name, pattern in (("inline <script>", INLINE_SCRIPT), ("on*= handler", HANDLER),
                              ("style attribute", STYLE_ATTR), ("<style>", STYLE_TAG)):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not found, "\n".join(found)


def _policy(resp) -> dict:
    header = resp.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def _check(resp, url):
    policy = _policy(resp)
    assert policy, f"{url}: no Content-Security-Policy"
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"], url
    assert "'unsafe-inline'" not in policy.get("style-src", []), url
    assert policy["frame-ancestors"] == ["'none'"], url


def test_every_page_of_a_logged_in_walk_has_the_policy(shop, login, client):
    _check(client.get("/accounts/login/"), "/accounts/login/")
    owner = make_member(shop, Role.OWNER)
    http = login(owner)
    start = f"/c/{shop.slug}/"
    seen, queue = set(), [start]
    link = re.compile(r'href="(/c/%s/[^"#?]*)"' % re.escape(shop.slug))
    while queue and len(seen) < 60:
        url = queue.pop(0)
        if url in seen or "/logout" in url or "export" in url or "download" in url:
            continue
        seen.add(url)
        resp = http.get(url)
        assert resp.status_code < 500, url
        if resp.status_code != 200 or "text/html" not in resp.get("Content-Type", ""):
            continue
        _check(resp, url)
        queue += [u for u in link.findall(resp.content.decode()) if u not in seen]
    sections = {"ask", "customers", "events", "alerts", "plans", "campaigns", "settings"}
    visited = " ".join(seen)
    missing = [s for s in sections if f"/{s}" not in visited]
    assert len(seen) >= 10 and not missing, (sorted(seen), missing)
    for url in ("/accounts/password_change/", "/admin/login/"):
        resp = http.get(url)
        _check(resp, url)
    assert "csp.middleware.CSPMiddleware" in dj_settings.MIDDLEWARE
