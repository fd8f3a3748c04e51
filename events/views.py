"""The storefront SDK file and the Events page (/c/<slug>/events/)."""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.urls import reverse
from django.utils import formats, timezone as dj_timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from tenants.access import ClientViewMixin

from . import selectors
from .clickhouse import ClickHouseUnavailable

SDK_FILE = Path(__file__).resolve().parent / "sdk" / "untitle.js"
# The URL is versioned by major version (/sdk/v1/); fixes inside v1 reach shops within a day,
# and the ETag makes the daily revalidation a 304.
SDK_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"


@dataclass(frozen=True)
class SdkBundle:
    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=4)
def _sdk_bundle(mtime_ns: int) -> SdkBundle:
    body = SDK_FILE.read_bytes()
    return SdkBundle(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag='"%s"' % hashlib.sha256(body).hexdigest()[:32],
    )


def sdk_bundle() -> SdkBundle:
    return _sdk_bundle(SDK_FILE.stat().st_mtime_ns)


def sdk_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("events:sdk")


@require_safe
def sdk_script(request):
    bundle = sdk_bundle()
    headers = {
        "Cache-Control": SDK_CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        # Shops load it from their own domain, possibly with Subresource Integrity (needs CORS).
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    # Each encoding is its own representation, so each gets its own strong ETag.
    etag = bundle.etag[:-1] + '-gz"' if accepts_gzip else bundle.etag
    headers["ETag"] = etag
    inm = request.headers.get("If-None-Match", "")
    if etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bundle.gzipped if accepts_gzip else bundle.body,
                                content_type="application/javascript; charset=utf-8")
        if accepts_gzip:
            response["Content-Encoding"] = "gzip"
    for name, value in headers.items():
        response[name] = value
    return response


def install_snippet(client) -> dict:
    url = sdk_url()
    return {
        "sdk_url": url,
        "html": f'<script async src="{url}" data-key="{client.ingest_key}"></script>',
        # Cafe24 script tags (Admin API or app) carry only a src.
        "script_tag_src": f"{url}?key={client.ingest_key}",
    }


def _status_payload(client) -> dict:
    try:
        status = selectors.event_live_status(client=client)
    except ClickHouseUnavailable:
        return {"available": False, "message": _("이벤트 저장소에 연결할 수 없습니다. 잠시 후 다시 시도하세요.")}
    last = status.last_event_at
    if last is not None:
        local = dj_timezone.localtime(last, client.tzinfo)
        text = _("설치됨: 최근 24시간 안에 이벤트가 들어왔습니다 (마지막 %(when)s).") % {
            "when": formats.date_format(local, "Y-m-d H:i:s")}
    else:
        text = _("아직 확인되지 않음: 최근 24시간 동안 받은 이벤트가 없습니다. 설치 코드를 쇼핑몰에 넣어 주세요.")
    return {
        "available": True,
        "last_5_minutes": status.last_5_minutes,
        "installed": status.installed,
        "last_event_at": last.isoformat() if last else None,
        "installed_text": text,
    }


class EventsPageView(ClientViewMixin, TemplateView):
    template_name = "events/events.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(snippet=install_snippet(self.client), status=_status_payload(self.client), section="events")
        return ctx


class EventsDailyView(ClientViewMixin, View):
    """Events per local day and type over the last 30 days, for the chart."""

    def get(self, request, *args, **kwargs):
        try:
            data = selectors.event_daily_counts(client=self.client, days=30).as_dict()
        except ClickHouseUnavailable:
            return JsonResponse({"error": "clickhouse_unavailable",
                                 "message": _("이벤트 저장소에 연결할 수 없습니다. 잠시 후 다시 시도하세요.")},
                                status=503)
        data["timezone"] = self.client.timezone
        return JsonResponse(data)


class EventsLiveView(ClientViewMixin, View):
    """The last-5-minutes counter and the installed indicator, polled by the page."""

    def get(self, request, *args, **kwargs):
        payload = _status_payload(self.client)
        response = JsonResponse(payload, status=200 if payload["available"] else 503)
        response["Cache-Control"] = "no-store"
        return response
