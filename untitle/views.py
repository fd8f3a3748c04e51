"""Site-wide pages that belong to no app."""
from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@cache
def _favicon() -> bytes:
    with open(finders.find("favicon.ico"), "rb") as f:
        return f.read()


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask /favicon.ico for pages without a <link rel=icon> (the admin, a JSON answer,
    an image): answering it spares a 404 in the log each time. Pages link static/favicon.svg."""
    return HttpResponse(_favicon(), content_type="image/x-icon")
