"""The 질문하기 page: ask a question, see the answer, save it.

The page renders the shell; asking goes through the JSON API (static/js/ask*.js), so the page
and scripts see exactly what API users see. ``ui_text`` is shared with the saved-question pages.
"""
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from tenants.access import ClientViewMixin
from tenants.models import Role

from ..saved_queries import selectors
from . import services

QUESTION_EXAMPLES = [
    _("최근 7일 동안 상품을 두 번 이상 본 방문자"),
    _("지난주 장바구니에 담았지만 구매하지 않은 사람"),
    _("어제 일별 주문 수와 매출"),
    _("이번 달 가장 많이 본 상품 5개"),
    _("최근 14일 방문자 중 메인 페이지를 본 비율"),
]


def ui_text() -> dict:
    """Strings the scripts show, translated server-side (Korean first)."""
    from events import catalog

    from ..query import ir

    events = {"any_event": _("아무 행동")}
    for name in ir.EVENT_NAMES:
        et = catalog.BY_NAME.get(ir.VIEW_PAIRS.get(name, name))
        if et is None:  # logical names beyond the catalog keep their label above, or their name
            events.setdefault(name, name)
            continue
        events[name] = str(et.label_ko).replace(" 시작", "") if name in ir.VIEW_PAIRS else et.label_ko
    t = {
        "network": _("서버에 연결할 수 없습니다."), "failed": _("요청이 실패했습니다"),
        "member_id": _("회원 ID"), "no_rows": _("결과가 없습니다."), "or_more": _("이상"), "or_less": _("이하"),
        "cnt_gte": _("이상"), "cnt_lte": _("이하"), "cnt_eq": _("정확히"), "times": _("회"),
        "win_default": _("기본 기간 (최근 7일)"), "recent": _("최근"), "within": _("이내:"),
        "sequence": _("순서대로"), "not": _("다음을 하지 않음"), "any_of": _("다음 중 하나 이상"),
        "all_of": _("다음을 모두"), "cannot": _("답할 수 없음"), "period": _("기간"), "measure": _("측정"),
        "numerator": _("분자"), "denominator": _("분모"), "group_by": _("나누어 보기"), "top_n": _("상위"),
        "asc": _("오름차순"), "who": _("대상 조건"), "among": _("대상 범위"), "window": _("기간"),
        "engine": _("엔진"), "fallback": _("Gemini 연결 실패로 오프라인 엔진이 답했습니다"), "try": _("이렇게 물어보세요"),
        "total": _("전체"), "empty": _("질문을 입력해 주세요."), "bad_json": _("규칙(JSON)을 읽을 수 없습니다."),
        "saved": _("저장했습니다."), "open_saved": _("저장된 질문 보기"), "show_result": _("결과 보기"),
        "queued": _("대기 중"), "running": _("실행 중"), "succeeded": _("완료"), "failed_run": _("실패"),
        "run_started": _("실행을 시작했습니다."), "confirm_delete": _("이 저장된 질문을 삭제할까요?"),
        "events": events,
        "fields": {"product_id": _("상품"), "category_id": _("카테고리"), "keyword": _("검색어"),
                   "keyword_contains": _("검색어 포함"), "board_id": _("게시판"), "article_id": _("게시글"),
                   "tracking_id": _("추적 ID"), "order_id": _("주문"), "page_url_contains": _("URL 포함"),
                   "utm_source": "utm_source", "utm_medium": "utm_medium", "utm_campaign": "utm_campaign",
                   "device_type": _("기기"), "amount": _("금액"), "price": _("가격"), "quantity": _("수량")},
        "units": {"day": _("일"), "week": _("주"), "month": _("개월"), "minute": _("분"), "hour": _("시간")},
        "named": {"today": _("오늘"), "yesterday": _("어제"), "day_before_yesterday": _("그제"),
                  "this_week": _("이번 주"), "last_week": _("지난주"), "this_month": _("이번 달"),
                  "last_month": _("지난달")},
        "metrics": {"events": _("이벤트 수"), "visitors": _("방문자 수"), "ratio": _("비율"), "funnel": _("퍼널 전환"),
                    "orders": _("주문 수"), "revenue": _("매출"), "aov": _("객단가")},
        "groups": {"hour": _("시간별"), "day": _("일별"), "week": _("주별"), "product": _("상품별"),
                   "category": _("카테고리별"), "keyword": _("검색어별"), "event_type": _("이벤트 유형별")},
        "kinds": {"A": _("대상 (방문자 목록)"), "B": _("집계"), "C": _("답할 수 없음")},
        "engines": {"offline": _("오프라인"), "gemini": "Gemini", "rules": _("규칙")},
        "columns": {"uuid": _("방문자 (uuid)"), "member_id": _("회원 ID"), "day": _("날짜"), "hour": _("시간"),
                    "week": _("주"), "events": _("이벤트 수"), "visitors": _("방문자 수"), "product": _("상품"),
                    "category": _("카테고리"), "keyword": _("검색어"), "event_type": _("이벤트 유형"),
                    "orders": _("주문 수"), "revenue": _("매출"), "aov": _("객단가"), "ratio": _("비율"),
                    "numerator": _("해당 방문자"), "denominator": _("전체 방문자"), "step": _("단계"),
                    "conversion": _("전환율")},
    }
    return _force_str(t)


def _force_str(value):
    if isinstance(value, dict):
        return {k: _force_str(v) for k, v in value.items()}
    return str(value)


def api_urls(client) -> dict:
    cid = client.pk
    return {
        "ask": reverse("insights:api-ask", kwargs={"client_id": cid}),
        "sql": reverse("insights:api-sql", kwargs={"client_id": cid}),
        "queries": reverse("insights:api-queries", kwargs={"client_id": cid}),
    }


class AskPageView(ClientViewMixin, TemplateView):
    template_name = "insights/ask.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        preset = None
        saved_id = self.request.GET.get("saved")
        if saved_id:
            sq = selectors.saved_query_get(client=self.client, pk=saved_id)
            preset = {"id": sq.pk, "name": sq.name, "question": sq.question, "ir": sq.ir}
        ctx.update(
            examples=QUESTION_EXAMPLES,
            gemini_enabled=bool(settings.GEMINI_API_KEY),
            default_engine=services.default_engine_name(),
            can_save=self.membership.allows(Role.MARKETER),
            max_chars=services.MAX_QUESTION_CHARS,
            page_config={"urls": api_urls(self.client), "clientId": self.client.pk, "text": ui_text(),
                         "savedUrl": reverse("insights:saved", kwargs={"slug": self.client.slug}),
                         "preset": preset},
        )
        return ctx

