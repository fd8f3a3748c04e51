"""Ordinary 403/404 are one line in the log; a 500 keeps its traceback (issue 19.5).

Django logs a PermissionDenied raised in a view with its whole traceback (django.request,
"Forbidden (Permission denied): ..." with exc_info): a viewer opening an owner's page is not a
fault of ours, and its traceback buried the real errors in the log."""
import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.urls import path

from untitle import urls as site_urls


def _raise_denied(request):
    raise PermissionDenied("이 작업에는 소유자 이상의 역할이 필요합니다.")


def _raise_missing(request):
    raise Http404("없는 캠페인")


def _raise_bug(request):
    raise ZeroDivisionError("a bug of ours")


# The site's routes too: the 403/404 pages link home.
urlpatterns = [path("denied/", _raise_denied), path("missing/", _raise_missing), path("bug/", _raise_bug),
               *site_urls.urlpatterns]


@pytest.fixture
def request_log():
    """What LOGGING's console handler prints (its own filters; a plain level/name/message format)."""
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    out = io.StringIO()
    # Swap the stream directly: setStream() flushes the old one, which may be an earlier test's
    # captured stderr that pytest has closed by now (then the fixture itself fails).
    old_stream, old_formatter = console.stream, console.formatter
    console.stream = out
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    yield out
    console.stream = old_stream
    console.setFormatter(old_formatter)


def _lines(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if line.strip()]


def test_a_viewer_on_an_owner_page_is_one_line(shop, viewer, login, client, request_log):
    login(viewer)
    resp = client.get(f"/c/{shop.slug}/settings/keys/")
    assert resp.status_code == 403
    lines = _lines(request_log)
    assert len(lines) == 1, lines
    assert lines[0].startswith("WARNING django.request Forbidden (Permission denied): ")
    assert f"/c/{shop.slug}/settings/keys/" in lines[0]
    assert "Traceback" not in request_log.getvalue()


def test_a_foreign_shop_is_one_line(shop, other_shop, viewer, login, client, request_log):
    login(viewer)
    assert client.get(f"/c/{other_shop.slug}/").status_code == 404
    lines = _lines(request_log)
    assert len(lines) == 1 and "Not Found" in lines[0], lines


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(("url", "status", "start"), [
    ("/denied/", 403, "WARNING django.request Forbidden (Permission denied): /denied/"),
    ("/missing/", 404, "WARNING django.request Not Found: /missing/"),
])
def test_exceptions_raised_in_views_are_one_line(db, client, request_log, url, status, start):
    assert client.get(url).status_code == status
    lines = _lines(request_log)
    assert len(lines) == 1, lines
    assert lines[0].startswith(start)


@override_settings(ROOT_URLCONF=__name__)
def test_a_500_keeps_its_traceback(db, client, request_log):
    client.raise_request_exception = False
    assert client.get("/bug/").status_code == 500
    text = request_log.getvalue()
    assert text.startswith("ERROR django.request Internal Server Error: /bug/")
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError: a bug of ours" in text
