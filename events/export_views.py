"""Raw event download: the page (/c/<slug>/events/export/) and the API endpoint.

Owners and marketers only: raw rows are the shop's whole behavioural record, more than a viewer
needs. Validation errors answer 400 before anything streams; the store being down answers 503:
the API in the one error shape (``EventsError`` through the exception handler), the page as
plain text a browser shows as it is.
"""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import AsyncIterator, Iterator

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import View
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer

from events import clickhouse
from events.errors import EventsError, EventsErrorCode
from events.exporting import MAX_DAYS, export_start, parse_request
from tenants.access import ClientAPIView, ClientViewMixin
from tenants.facade import client_ip
from tenants.models import Role
from untitle import limits
from untitle.openapi import FILE, query

STORE_DOWN = gettext_noop("이벤트 저장소에 연결할 수 없습니다. 잠시 후 다시 시도하세요.")


async def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Serve a blocking chunk generator under ASGI without buffering it.

    Django would otherwise read a sync iterator to the end before sending a byte. One thread of
    its own drives the generator, because a chDB result stream belongs to the thread that opened it.
    """
    loop = asyncio.get_running_loop()
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-export") as thread:
        try:
            while (chunk := await loop.run_in_executor(thread, next, chunks, done)) is not done:
                yield chunk
        finally:
            await loop.run_in_executor(thread, chunks.close)


def _streaming(request, req, chunks) -> StreamingHttpResponse:
    if isinstance(getattr(request, "_request", request), ASGIRequest):
        chunks = _async_chunks(chunks)
    response = StreamingHttpResponse(chunks, content_type=req.content_type)
    response["Content-Disposition"] = f'attachment; filename="{req.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _held_stream(request, req, lease: limits.Lease, *, via: str) -> StreamingHttpResponse:
    """The download, holding its concurrency slot until the stream is done or closed."""
    try:
        chunks = export_start(req=req, actor=request.user, ip_address=client_ip(request), via=via)
    except BaseException:
        lease.release()
        raise
    return _streaming(request, req, lease.hold_while(chunks))


class EventsExportView(ClientViewMixin, View):
    """Without start/end: the download form. With them: the file."""

    required_role = Role.MARKETER

    def get(self, request, *args, **kwargs):
        params = request.GET
        if "start" not in params and "end" not in params:
            today = dj_timezone.now().astimezone(self.client.tzinfo).date()
            return render(request, "events/export.html", {
                "client": self.client, "membership": self.membership, "section": "events",
                "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), "max_days": MAX_DAYS,
            })
        try:
            req = parse_request(client=self.client, start=params.get("start"), end=params.get("end"),
                                fmt=params.get("format"))
        except EventsError as exc:
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        try:
            clickhouse.get_client()
        except clickhouse.ClickHouseUnavailable:
            return HttpResponse(_(STORE_DOWN), status=503, content_type="text/plain; charset=utf-8")
        try:
            lease = limits.acquire(limits.Kind.EVENT_EXPORT, client_id=self.client.pk, user_id=request.user.pk)
        except limits.Busy as exc:
            response = HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(exc.retry_after)
            return response
        return _held_stream(request, req, lease, via="web")


class EventsExportAPI(ClientAPIView):
    """GET /api/v1/clients/<client_id>/events/export?start=YYYY-MM-DD&end=YYYY-MM-DD&format=csv|parquet"""

    required_role = Role.MARKETER
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # ?format= names the file type here, not a DRF renderer.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(parameters=[query("start", description="YYYY-MM-DD (local)"), query("end", description="YYYY-MM-DD"),
                               query("format", enum=["csv", "parquet"])],
                   responses={(200, "text/csv"): FILE, (200, "application/vnd.apache.parquet"): FILE})
    def get(self, request, client_id):
        req = parse_request(client=self.client, start=request.query_params.get("start"),
                            end=request.query_params.get("end"), fmt=request.query_params.get("format"))
        try:
            clickhouse.get_client()
        except clickhouse.ClickHouseUnavailable as exc:
            raise EventsError(_(STORE_DOWN), code=EventsErrorCode.UNAVAILABLE, status=503, detail=str(exc)) from None
        lease = limits.api_lease(request, limits.Kind.EVENT_EXPORT, client_id=self.client.pk)
        return _held_stream(request, req, lease, via="api")
