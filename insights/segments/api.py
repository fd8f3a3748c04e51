"""REST API of the audience builder and segments, under /api/v1/clients/<client_id>/.

Reads (filters, live size, parse, segment lists, snapshots, changes, exports) are open to
viewers; saving, refreshing and pushing need a marketer. Member ids are masked for viewers in
every answer and export. A segment of another client is a 404. Errors are ``AskError``s the
project's exception handler answers with.
"""
from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from tenants.access import ClientAPIView
from untitle import limits
from untitle.openapi import FILE, OBJECT, anything, body, query, text
from untitle.body import body_dict, optional_text, text_field
from tenants.models import Role

from ..audience import filters as F
from ..audience.describe import describe, describe_en
from ..errors import AskError, AskErrorCode
from ..serializers import segment_to_dict, snapshot_to_dict
from . import audience, selectors, services

# One component for create, patch and put (the schema's request body).
_SEGMENT_BODY = body("SegmentRequest", name=text(max_length=120), rules=anything(), description=text(), schedule=text(help_text="cron"), webhook_url=text())



_data = body_dict


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value if value not in (None, "") else default)))
    except (TypeError, ValueError):
        raise AskError(_("페이지 값은 숫자여야 합니다."), code=AskErrorCode.PAGING)


class FilterCatalogAPI(ClientAPIView):
    """GET the filter catalog: categories, Korean labels, parameter schemas, availability."""

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id):
        filters = F.catalog()
        if audience.rfm_available(self.client):
            for f in filters:
                if f["key"] == "rfm_segment":
                    f["unavailable"] = None
        return Response({"categories": [{"key": k, "label": v[0], "label_en": v[1]}
                                        for k, v in F.CATEGORIES.items()], "filters": filters})


class AudienceSizeAPI(ClientAPIView):
    """POST {"rules", "today"?} -> size, members, a sample (masked by role), description, IR."""

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=body("AudienceSizeRequest", rules=anything(), today=text(help_text="YYYY-MM-DD")),
                   responses=OBJECT)
    def post(self, request, client_id):
        data = _data(request)
        with limits.api_slot(request, limits.Kind.AUDIENCE_SIZE, client_id=self.client.pk):
            return Response(audience.audience_size(client=self.client, rules=data.get("rules"),
                                                   membership=self.membership, today=data.get("today")))


class AudienceDescribeAPI(ClientAPIView):
    """POST {"rules"} -> the description and IR, without counting (validation as you type)."""

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=body("AudienceDescribeRequest", rules=anything()), responses=OBJECT)
    def post(self, request, client_id):
        c = audience.audience_compile(rules=_data(request).get("rules"), client=self.client)
        return Response({"rules": c.rules, "ir": c.query.model_dump(mode="json", exclude_none=True),
                         "description": describe(c.rules), "description_en": describe_en(c.rules),
                         "empty_reasons": c.empty_reasons})


class AudienceParseAPI(ClientAPIView):
    """POST {"question", "engine"?} -> the rules the sentence becomes (natural language -> rules)."""

    required_role = Role.VIEWER
    write_role = None

    @extend_schema(request=body("AudienceParseRequest", question=text(), engine=text(help_text="offline | gemini")),
                   responses=OBJECT)
    def post(self, request, client_id):
        data = _data(request)
        return Response(audience.audience_from_question(client=self.client, question=data.get("question", ""),
                                                        engine=optional_text(data, "engine") or None))


class SegmentListAPI(ClientAPIView):
    """GET the client's segments; POST {"name", "rules", "description"?, "schedule"?, "webhook_url"?}."""

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id):
        out = []
        for seg in selectors.segment_list(client=self.client):
            out.append(segment_to_dict(seg, snapshot=selectors.latest_snapshot(client=self.client, segment=seg)))
        return Response({"results": out})

    @extend_schema(request=_SEGMENT_BODY, responses={201: OBJECT})
    def post(self, request, client_id):
        data = _data(request)
        seg = services.segment_create(client=self.client, name=text_field(data, "name"), rules=data.get("rules"),
                                      actor=request.user, description=text_field(data, "description"),
                                      schedule=optional_text(data, "schedule"),
                                      webhook_url=text_field(data, "webhook_url"))
        return Response(segment_to_dict(seg), status=status.HTTP_201_CREATED)


class SegmentDetailAPI(ClientAPIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        body = segment_to_dict(seg, snapshot=selectors.latest_snapshot(client=self.client, segment=seg))
        if self.membership.allows(Role.OWNER):
            body["webhook_secret"] = seg.webhook_secret  # only owners see the signing secret
        return Response(body)

    @extend_schema(request=_SEGMENT_BODY, responses=OBJECT)
    def patch(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        data = _data(request)
        seg = services.segment_update(segment=seg, actor=request.user, name=optional_text(data, "name"),
                                      rules=data.get("rules"), description=optional_text(data, "description"),
                                      schedule=optional_text(data, "schedule"),
                                      webhook_url=optional_text(data, "webhook_url"))
        return Response(segment_to_dict(seg))

    @extend_schema(request=_SEGMENT_BODY, responses=OBJECT)
    def put(self, request, client_id, pk):
        return self.patch(request, client_id, pk)

    @extend_schema(responses={204: None})
    def delete(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        services.segment_delete(segment=seg, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentRefreshAPI(ClientAPIView):
    """POST -> 202: the worker writes a new snapshot version."""

    @extend_schema(request=None, responses={202: OBJECT})
    def post(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        services.segment_refresh_start(segment=seg, actor=request.user)
        return Response({"segment_id": seg.pk, "queued": True}, status=status.HTTP_202_ACCEPTED)


class SegmentSnapshotsAPI(ClientAPIView):
    """GET the size history (newest first, up to 365 refreshes)."""

    @extend_schema(responses=OBJECT)
    def get(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        snaps = selectors.snapshot_list(client=self.client, segment=seg)[:365]
        return Response({"results": [snapshot_to_dict(s) for s in snaps]})


class SegmentChangesAPI(ClientAPIView):
    """GET ?kind=entered|left&page=&page_size= -> who entered / left in the latest refresh."""

    @extend_schema(parameters=[query("kind", enum=["entered", "left"]), query("page", int), query("page_size", int)],
                   responses=OBJECT)
    def get(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        q = request.query_params
        return Response(selectors.segment_changes(
            client=self.client, segment=seg, kind=q.get("kind", "entered"),
            page=_int(q.get("page"), 1, 1, 100_000), page_size=_int(q.get("page_size"), 50, 1, 500),
            membership=self.membership))


class SegmentExportAPI(ClientAPIView):
    """GET ?as=csv|json -> the latest snapshot, streamed; masked for viewers; audited."""

    @extend_schema(parameters=[query("as", enum=["csv", "json"])],
                   responses={(200, "text/csv"): FILE, (200, "application/json"): FILE})
    def get(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        # not "format": DRF reads that one for content negotiation
        fmt = request.query_params.get("as", "csv")
        # The slot is held while the file streams, and given back when the stream closes.
        lease = limits.api_lease(request, limits.Kind.SEGMENT_EXPORT, client_id=self.client.pk)
        try:
            body, content_type = services.segment_export(segment=seg, membership=self.membership,
                                                         actor=request.user, fmt=fmt)
        except BaseException:
            lease.release()
            raise
        resp = StreamingHttpResponse(lease.hold_while(body), content_type=content_type)
        resp["Content-Disposition"] = f'attachment; filename="segment-{seg.pk}-v{seg.latest_version}.{fmt}"'
        return resp

    def finalize_response(self, request, response, *args, **kwargs):
        # DRF content negotiation would try to render the stream: hand it over as it is.
        if isinstance(response, StreamingHttpResponse):
            return response
        return super().finalize_response(request, response, *args, **kwargs)


class SegmentWebhookAPI(ClientAPIView):
    """POST -> 202: push the latest snapshot to the segment's webhook now (signed, retried)."""

    @extend_schema(request=None, responses={202: OBJECT})
    def post(self, request, client_id, pk):
        seg = selectors.segment_get(client=self.client, pk=pk)
        services.segment_webhook_start(segment=seg)
        return Response({"segment_id": seg.pk, "queued": True}, status=status.HTTP_202_ACCEPTED)
