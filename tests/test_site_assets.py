"""What every page loads from our own origin (issue 19.5): the bundled Korean webfont and the
favicon. A machine without CJK fonts shows Korean as boxes unless the font comes from us, and a
page without a favicon makes the browser ask /favicon.ico and log a 404 each time."""
import re

from django.contrib.staticfiles import finders

from tests.test_csp import _policy


def _static_urls(html: str) -> list[str]:
    return re.findall(r'href="(/static/[^"]+)"', html)


def test_pages_link_the_font_stylesheet_and_favicon(shop, owner, login, client):
    login(owner)
    html = client.get(f"/c/{shop.slug}/").content.decode()
    links = _static_urls(html)
    assert any(u.endswith("css/fonts.css") for u in links), links
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg" type="image/svg\+xml">', html)
    login_page = client.get("/accounts/login/").content.decode()
    assert any(u.endswith("css/fonts.css") for u in _static_urls(login_page))


def test_font_faces_are_ours_swap_and_exist():
    css = open(finders.find("css/fonts.css")).read()
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) > 50  # the dynamic subset: one face per unicode-range slice
    for face in faces:
        assert "font-display: swap" in face
        (url,) = re.findall(r"url\(([^)]+)\)", face)
        assert url.startswith("../vendor/pretendard/") and url.endswith(".woff2")
        assert finders.find(url.replace("../", "")), url
    # Hangul syllables 가 (U+AC00) and 힣 (U+D7A3) are both covered by some face.
    ranges = re.findall(r"U\+([0-9a-f]+)(?:-([0-9a-f]+))?", css)
    covered = lambda cp: any(int(a, 16) <= cp <= int(b or a, 16) for a, b in ranges)  # noqa: E731
    assert covered(0xAC00) and covered(0xD7A3)


def test_font_files_are_served_with_the_policy_allowing_them(shop, owner, login, client):
    login(owner)
    policy = _policy(client.get(f"/c/{shop.slug}/"))
    assert policy.get("font-src") == ["'self'"], policy
    resp = client.get("/static/vendor/pretendard/PretendardVariable.subset.91.woff2")
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    assert body[:4] == b"wOF2"


def test_favicon_ico_at_the_root(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/x-icon"
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    assert body[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert "max-age" in resp["Cache-Control"]


def test_the_500_page_has_the_font_too():
    # 500.html is plain HTML (it must render when the site cannot); it links the files itself.
    html = open(finders.find("css/app.css").replace("static/css/app.css", "templates/500.html")).read()
    assert html.index("/static/css/fonts.css") < html.index("/static/css/app.css")
