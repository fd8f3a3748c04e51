"""The 오디언스 pages: the hybrid builder (sentence <-> rules, live size) and a segment's page
(size history, who entered / left, exports). Both render a shell; the data comes from the JSON
API (static/js/audience*.js), so the pages see exactly what API users see."""
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext_lazy as _
from django.views.generic import TemplateView

from tenants.access import ClientViewMixin
from tenants.models import Role

from ..audience import filters as F
from ..audience.describe import describe, describe_en
from . import selectors
from .audience import rfm_available

AUDIENCE_EXAMPLES = [
    _("최근 30일 장바구니에 담았지만 구매하지 않은 사람"),
    _("최근 14일 동안 상품 1을 두 번 이상 본 방문자"),
    _("지난주 모바일로 방문한 사람"),
]


def ui_text() -> dict:
    t = {
        "network": _("서버에 연결할 수 없습니다."), "failed": _("요청이 실패했습니다"),
        "counting": _("인원 계산 중…"), "people": _("명"), "members": _("회원"), "cached": _("캐시"),
        "and": _("모두 만족 (AND)"), "or": _("하나 이상 (OR)"), "not": _("제외"), "remove": _("삭제"),
        "add_rule": _("필터 추가"), "add_group": _("그룹 추가"), "choose": _("필터 선택…"),
        "unavailable": _("사용 불가"), "saved": _("세그먼트를 저장했습니다."), "empty_name": _("이름을 입력해 주세요."),
        "no_rules": _("필터를 추가하거나 원하는 대상을 문장으로 입력해 주세요."), "window": _("기간"),
        "member_id": _("회원 ID"), "visitor": _("방문자 (uuid)"), "raw": _("문장에서 온 조건"),
        "queued": _("갱신을 시작했습니다. 잠시 후 새로고침해 주세요."), "size": _("인원"),
        "entered": _("신규 진입"), "left": _("이탈"), "no_rows": _("결과가 없습니다."),
        "confirm_delete": _("이 세그먼트를 삭제할까요?"), "pushed": _("웹훅 전송을 시작했습니다."),
    }
    return {k: str(v) for k, v in t.items()}


def _korean() -> bool:
    return (get_language() or "ko").startswith("ko")


def _catalog(client) -> list[dict]:
    # The catalog is pure (no Django): it carries both labels, the active language picks one.
    ko = _korean()
    rfm = rfm_available(client)
    out = []
    for spec in F.SPECS:
        d = spec.as_dict()
        d["label"] = spec.label if ko else spec.label_en
        if spec.external and spec.key == "rfm_segment" and rfm:
            d["unavailable"] = None
        out.append(d)
    return out


class AudienceBuilderView(ClientViewMixin, TemplateView):
    template_name = "insights/audiences.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        cid = self.client.pk
        preset = None
        if self.request.GET.get("segment"):
            seg = selectors.segment_get(client=self.client, pk=self.request.GET["segment"])
            preset = {"id": seg.pk, "name": seg.name, "rules": seg.rules}
        items = list(selectors.segment_list(client=self.client))
        for s in items:
            s.latest = selectors.latest_snapshot(client=self.client, segment=s)
            s.text = describe(s.rules) if _korean() else describe_en(s.rules)
        ctx.update(
            segments=items, examples=AUDIENCE_EXAMPLES, can_save=self.membership.allows(Role.MARKETER),
            page_config={
                "clientId": cid, "text": ui_text(), "preset": preset, "catalog": _catalog(self.client),
                "lang": "ko" if _korean() else "en",
                "categories": {k: (v[0] if _korean() else v[1]) for k, v in F.CATEGORIES.items()},
                "urls": {n: reverse(f"insights:api-audience-{n}", kwargs={"client_id": cid})
                         for n in ("size", "describe", "parse")}
                | {"segments": reverse("insights:api-segments", kwargs={"client_id": cid}),
                   "segmentPage": reverse("insights:segment_detail", kwargs={"slug": self.client.slug, "pk": 0})},
            },
        )
        return ctx


class SegmentDetailView(ClientViewMixin, TemplateView):
    template_name = "insights/segments_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        seg = selectors.segment_get(client=self.client, pk=self.kwargs["pk"])
        cid = self.client.pk
        snaps = list(selectors.snapshot_list(client=self.client, segment=seg)[:365])
        kw = {"client_id": cid, "pk": seg.pk}
        ctx.update(
            segment=seg, text=describe(seg.rules) if _korean() else describe_en(seg.rules), snapshots=snaps[:30],
            latest=next((s for s in snaps if s.status == "succeeded"), None),
            can_edit=self.membership.allows(Role.MARKETER),
            pii_masked=not selectors.can_see_pii(self.membership),
            export_csv=reverse("insights:api-segment-export", kwargs=kw) + "?as=csv",
            export_json=reverse("insights:api-segment-export", kwargs=kw) + "?as=json",
            page_config={
                "clientId": cid, "text": ui_text(),
                "history": [{"version": s.version, "size": s.size, "at": localtime(s.created_at, self.client.tzinfo).isoformat()}
                            for s in reversed(snaps) if s.status == "succeeded"],
                "urls": {"refresh": reverse("insights:api-segment-refresh", kwargs=kw),
                         "changes": reverse("insights:api-segment-changes", kwargs=kw),
                         "webhook": reverse("insights:api-segment-webhook", kwargs=kw),
                         "detail": reverse("insights:api-segment", kwargs=kw),
                         "builder": reverse("insights:audiences", kwargs={"slug": self.client.slug})},
            },
        )
        return ctx
