"""REST API of the audience builder and segments, under /api/v1/clients/<client_id>/.

Reads (filters, live size, parse, segment lists, snapshots, changes, exports) are open to
viewers; saving, refreshing and pushing need a marketer. Member ids are masked for viewers in
every answer and export (segments.py). A segment of another client is a 404.
"""
from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from tenants.models import Role

from . import segments
from .audience import filters as F
from .audience import rules as R
from .audience.describe import describe, describe_en
from .services import AskError


def _error(exc: AskError) -> Response:
    body = {"detail": exc.message, "code": exc.code}
    if getattr(exc, "errors", None):
        body["errors"] = exc.errors
    return Response(body, status=exc.status)


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value if value not in (None, "") else default)))
    except (TypeError, ValueError):
        raise AskError(_("페이지 값은 숫자여야 합니다."), code="paging")


class FilterCatalogAPI(ClientAPIView):
    """GET the filter catalog: categories, Korean labels, parameter schemas, availability."""

    def get(self, request, client_id):
        filters = F.catalog()
        if segments.rfm_available(self.client):
            for f in filters:
                if f["key"] == "rfm_segment":
                    f["unavailable"] = None
        return Response({"categories": [{"key": k, "label": v[0], "label_en": v[1]}
                                        for k, v in F.CATEGORIES.items()], "filters": filters})


class AudienceSizeAPI(ClientAPIView):
    """POST {"rules", "today"?} -> size, members, a sample (masked by role), description, IR."""

    required_role = Role.VIEWER
    write_role = None

    def post(self, request, client_id):
        data = _data(request)
        try:
            return Response(segments.audience_size(client=self.client, rules=data.get("rules"),
                                                   membership=self.membership, today=data.get("today")))
        except AskError as exc:
            return _error(exc)


class AudienceDescribeAPI(ClientAPIView):
    """POST {"rules"} -> the description and IR, without counting (validation as you type)."""

    required_role = Role.VIEWER
    write_role = None

    def post(self, request, client_id):
        try:
            c = segments.audience_compile(rules=_data(request).get("rules"), client=self.client)
        except AskError as exc:
            return _error(exc)
        return Response({"rules": c.rules, "ir": c.query.model_dump(mode="json", exclude_none=True),
                         "description": describe(c.rules), "description_en": describe_en(c.rules),
                         "empty_reasons": c.empty_reasons})


class AudienceParseAPI(ClientAPIView):
    """POST {"question", "engine"?} -> the rules the sentence becomes (natural language -> rules)."""

    required_role = Role.VIEWER
    write_role = None

    def post(self, request, client_id):
        data = _data(request)
        try:
            return Response(segments.audience_from_question(client=self.client, question=data.get("question", ""),
                                                            engine=data.get("engine") or None))
        except AskError as exc:
            return _error(exc)


class SegmentListAPI(ClientAPIView):
    """GET the client's segments; POST {"name", "rules", "description"?, "schedule"?, "webhook_url"?}."""

    def get(self, request, client_id):
        out = []
        for seg in segments.segment_list(client=self.client):
            out.append(segments.segment_to_dict(seg, snapshot=segments.latest_snapshot(client=self.client,
                                                                                      segment=seg)))
        return Response({"results": out})

    def post(self, request, client_id):
        data = _data(request)
        try:
            seg = segments.segment_create(client=self.client, name=data.get("name", ""), rules=data.get("rules"),
                                          actor=request.user, description=data.get("description", "") or "",
                                          schedule=data.get("schedule"), webhook_url=data.get("webhook_url", ""))
        except AskError as exc:
            return _error(exc)
        return Response(segments.segment_to_dict(seg), status=status.HTTP_201_CREATED)


class SegmentDetailAPI(ClientAPIView):
    def get(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        body = segments.segment_to_dict(seg, snapshot=segments.latest_snapshot(client=self.client, segment=seg))
        if self.membership.allows(Role.OWNER):
            body["webhook_secret"] = seg.webhook_secret  # only owners see the signing secret
        return Response(body)

    def patch(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        data = _data(request)
        try:
            seg = segments.segment_update(segment=seg, actor=request.user, name=data.get("name"),
                                          rules=data.get("rules"), description=data.get("description"),
                                          schedule=data.get("schedule"), webhook_url=data.get("webhook_url"))
        except AskError as exc:
            return _error(exc)
        return Response(segments.segment_to_dict(seg))

    put = patch

    def delete(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        segments.segment_delete(segment=seg, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentRefreshAPI(ClientAPIView):
    """POST -> 202: the worker writes a new snapshot version."""

    def post(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        segments.segment_refresh_start(segment=seg, actor=request.user)
        return Response({"segment_id": seg.pk, "queued": True}, status=status.HTTP_202_ACCEPTED)


class SegmentSnapshotsAPI(ClientAPIView):
    """GET the size history (newest first, up to 365 refreshes)."""

    def get(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        snaps = segments.snapshot_list(client=self.client, segment=seg)[:365]
        return Response({"results": [segments.snapshot_to_dict(s) for s in snaps]})


class SegmentChangesAPI(ClientAPIView):
    """GET ?kind=entered|left&page=&page_size= -> who entered / left in the latest refresh."""

    def get(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        q = request.query_params
        try:
            return Response(segments.segment_changes(
                client=self.client, segment=seg, kind=q.get("kind", "entered"),
                page=_int(q.get("page"), 1, 1, 100_000), page_size=_int(q.get("page_size"), 50, 1, 500),
                membership=self.membership))
        except AskError as exc:
            return _error(exc)


class SegmentExportAPI(ClientAPIView):
    """GET ?as=csv|json -> the latest snapshot, streamed; masked for viewers; audited."""

    def get(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        # not "format": DRF reads that one for content negotiation
        fmt = request.query_params.get("as", "csv")
        try:
            body, content_type = segments.segment_export(segment=seg, membership=self.membership,
                                                         actor=request.user, fmt=fmt)
        except AskError as exc:
            return _error(exc)
        resp = StreamingHttpResponse(body, content_type=content_type)
        resp["Content-Disposition"] = f'attachment; filename="segment-{seg.pk}-v{seg.latest_version}.{fmt}"'
        return resp

    def finalize_response(self, request, response, *args, **kwargs):
        # DRF content negotiation would try to render the stream: hand it over as it is.
        if isinstance(response, StreamingHttpResponse):
            return response
        return super().finalize_response(request, response, *args, **kwargs)


class SegmentWebhookAPI(ClientAPIView):
    """POST -> 202: push the latest snapshot to the segment's webhook now (signed, retried)."""

    def post(self, request, client_id, pk):
        seg = segments.segment_get(client=self.client, pk=pk)
        if not seg.webhook_url:
            return Response({"detail": _("웹훅 URL이 설정되지 않았습니다. 세그먼트 설정에서 URL을 입력해 주세요."),
                             "code": "no_webhook"}, status=400)
        from django.db import transaction

        from .tasks import push_segment_webhook

        transaction.on_commit(lambda: push_segment_webhook.delay(seg.pk, None))
        return Response({"segment_id": seg.pk, "queued": True}, status=status.HTTP_202_ACCEPTED)
