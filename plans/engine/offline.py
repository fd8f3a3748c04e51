"""The offline engine: six plans composed from the most similar past plans, no model needed.

Used when there is no Gemini key, when Gemini fails or is rate limited, and when its answer
stays invalid after the retry. Valid by construction: costs are put inside their band, expected
participants and ROI stay inside the grounding ranges of their cell, and ROI is made
non-increasing with budget within each channel.
"""
from __future__ import annotations

from datetime import date

from wording import josa

from .occasions import Occasion, season_of
from .schema import BANDS, BUDGETS, CELLS, CHANNELS, PRIZE_MAX, PURPOSES, TITLE_MAX, Answer, Plan, Trends, cell_key
from .validate import Grounding, Range

# Shop size from its own traffic moves the expected participants (a shop with 50k visitors a
# month reaches more people with the same plan than one with 2k), within the grounding range.
def size_factor(visitors_30d: int | None) -> float:
    if not visitors_30d:
        return 1.0
    if visitors_30d < 3_000:
        return 0.8
    if visitors_30d < 30_000:
        return 1.0
    if visitors_30d < 150_000:
        return 1.25
    return 1.45


def _round_cost(cost: int, budget: str) -> int:
    lo, hi = BANDS[budget]
    return max(lo, min(hi, int(round(cost / 10_000)) * 10_000))


def monotone_rois(wanted: dict[str, int], ranges: dict[str, Range]) -> dict[str, int]:
    """ROI per budget (one channel) as close to ``wanted`` as possible with low >= medium >= high,
    each inside its range. Ranges of neighbouring bands overlap in practice; if they did not,
    the nearest feasible value is taken and validation reports it."""
    out = {b: ranges[b].clamp(wanted[b]) if b in ranges else wanted[b] for b in BUDGETS}
    for _ in range(3):
        for hi_b, lo_b in zip(BUDGETS, BUDGETS[1:]):   # (low, medium), (medium, high)
            if out[lo_b] > out[hi_b]:
                # lower the bigger budget first; raise the smaller one only if that is impossible
                floor = ranges[lo_b].lo if lo_b in ranges else out[hi_b]
                if out[hi_b] >= floor:
                    out[lo_b] = out[hi_b]
                else:
                    out[lo_b] = floor
                    out[hi_b] = ranges[hi_b].clamp(floor) if hi_b in ranges else floor
    return out


def _words(pick: dict, industry_key: str | None) -> tuple[str, str, str]:
    """A library plan from another industry is told in neutral words (no other shop's products)."""
    foreign = pick.get("source") != "own" and pick.get("industry") != industry_key and pick.get("title_generic")
    if foreign:
        return pick["title_generic"], pick["prize_generic"], pick["participation_generic"]
    return pick["title"], pick["prize"], pick["participation"]


def compose(hits_by_cell: dict[str, list[dict]], grounding: dict[str, Grounding], *,
            trends: Trends, visitors_30d: int | None = None, exclude_titles: set[str] = frozenset(),
            industry_key: str | None = None) -> Answer:
    factor = size_factor(visitors_30d)
    picks: dict[str, dict] = {}
    for b, c in CELLS:
        key = cell_key(b, c)
        hits = hits_by_cell.get(key) or []
        if not hits:
            raise ValueError(f"no past plan for {key}")
        fresh = [h for h in hits if _words(h, industry_key)[0] not in exclude_titles]
        picks[key] = (fresh or hits)[0]
    plans = []
    for c in CHANNELS:
        wanted = {b: int(picks[cell_key(b, c)]["roi"]) for b in BUDGETS}
        ranges = {b: grounding[cell_key(b, c)].roi for b in BUDGETS if cell_key(b, c) in grounding}
        rois = monotone_rois(wanted, ranges)
        for b in BUDGETS:
            key = cell_key(b, c)
            pick = picks[key]
            participants = int(round(int(pick["participants"]) * factor / 10)) * 10 or int(pick["participants"])
            if key in grounding:
                participants = grounding[key].participants.clamp(participants)
            title, prize, participation = _words(pick, industry_key)
            plans.append(Plan(
                budget=b, channel=c, title=str(title)[:TITLE_MAX], prize=str(prize)[:PRIZE_MAX],
                participation=str(participation)[:150], expected_participants=max(1, participants),
                cost=_round_cost(int(pick["cost"]), b), roi=rois[b],
            ))
    return Answer(trends=trends, plans=plans).ordered()


INDUSTRY_TRENDS = {
    "fashion": "패션은 숏폼 코디 콘텐츠와 리뷰 사진이 구매를 이끕니다. 환절기 아우터·신상 선공개와 첫 구매 쿠폰의 반응이 좋습니다.",
    "beauty": "뷰티는 체험 샘플과 성분 후기가 첫 구매를 만듭니다. 미니 키트 증정, 인플루언서 리뷰, 재구매 주기 맞춤 쿠폰이 효과적입니다.",
    "food": "식품은 재구매 주기가 짧아 정기배송·묶음 할인 반응이 큽니다. 제철 상품과 명절 선물세트 수요가 매출을 끌어올립니다.",
    "furniture": "가구·인테리어는 고관여 상품이라 실물 체험과 집꾸미기 후기 콘텐츠가 중요합니다. 이사철 기획전과 무이자 혜택이 통합니다.",
    "electronics": "전자기기는 가격 비교가 치열해 타임특가와 사은품이 결정적입니다. 블랙프라이데이·신학기 수요에 맞춘 기획전이 효과적입니다.",
    "kids": "유아동은 부모 커뮤니티 입소문과 안전성 후기가 핵심입니다. 어린이날·가정의 달 선물 기획과 체험단의 반응이 좋습니다.",
    "pets": "반려동물은 소모품 재구매가 잦아 정기구매 혜택과 샘플 체험이 잘 통합니다. 반려인 SNS 인증 이벤트의 확산력이 큽니다.",
    "sports": "스포츠·아웃도어는 시즌 시작 시점 수요가 몰립니다. 러닝·캠핑 커뮤니티 협업과 착용 후기 챌린지가 효과적입니다.",
    "books": "도서·문구는 신학기와 연말 다이어리 수요가 큽니다. 북클럽·필사 챌린지처럼 참여형 콘텐츠가 재방문을 만듭니다.",
}
SEASON_TRENDS = {
    "봄": "봄에는 새 학기·이사철 수요와 야외 활동이 늘어 신상품 론칭과 첫 구매 혜택이 잘 통합니다.",
    "여름": "여름에는 휴가철 이동이 많아 모바일 타임특가와 배송 빠른 상품 기획이 효과적입니다.",
    "가을": "가을에는 구매 의향이 회복되고 연말 쇼핑 시즌을 앞두어 대형 할인 행사 준비가 중요합니다.",
    "겨울": "겨울에는 연말·새해 선물 수요가 커서 선물 포장, 기프트 세트, 감사제가 반응이 좋습니다.",
}


def _fit(text: str, limit: int = 190) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def offline_trends(*, industry_key: str | None, industry_text: str, region: str, purpose: str,
                   day: date, occasions: list[Occasion]) -> Trends:
    ind = INDUSTRY_TRENDS.get(industry_key or "") or (
        f"{industry_text} 업종은 리뷰·SNS 후기와 첫 구매 혜택이 전환을 이끌고, 재구매 쿠폰이 고객 유지에 효과적입니다.")
    purpose_label = PURPOSES.get(purpose, purpose)
    region_text = region or "전국"
    loc = (f"{region_text} 고객 비중이 높은 쇼핑몰은 지역 제휴 매장·팝업으로 오프라인 접점을 만들고, "
           f"온라인에서는 모바일 알림과 쿠폰으로 {josa(purpose_label, '을/를')} 노리는 조합이 효과적입니다.")
    season = season_of(day)
    # An occasion that has begun is under way, not upcoming ("다가오는 설날" on the day after).
    shown = occasions[:3]
    ongoing = ", ".join(o.name for o in shown if o.start <= day)
    upcoming = ", ".join(f"{o.name}({o.start.month}/{o.start.day})" for o in shown if o.start > day)
    sea = (SEASON_TRENDS[season] + (f" 진행 중인 시즌 이벤트: {ongoing}." if ongoing else "")
           + (f" 다가오는 시즌 이벤트: {upcoming}." if upcoming else ""))
    return Trends(industry=_fit(ind), location=_fit(loc), season=_fit(sea))
