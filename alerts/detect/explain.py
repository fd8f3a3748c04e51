"""Explanations of an alert from its drill-down numbers: the offline template and the Gemini
prompt. Both read the same numbers (selectors.drilldown), so the offline one is what the model
would have been told. No Django import."""
from __future__ import annotations

import json

METRIC_KO = {"visitors": "방문자", "views": "상품 조회", "cart_adds": "장바구니 담기", "orders": "주문",
             "searches": "검색"}
KIND_KO = {"shop": "쇼핑몰 전체", "product": "상품", "category": "카테고리", "keyword": "검색어"}
DIM_KO = {"product": "상품", "keyword": "검색어", "campaign": "캠페인(tracking id)", "referrer": "유입 경로"}


def subject(kind: str, entity: str, metric: str) -> str:
    who = KIND_KO.get(kind, kind) + (f" '{entity}'" if entity else "")
    return f"{who}의 {METRIC_KO.get(metric, metric)}"


def _movers(drill: dict, dim: str, limit: int = 3) -> list[str]:
    during_min = drill.get("minutes_during", 5)
    before_min = drill.get("minutes_before", 60)
    out = []
    for row in drill.get(dim, [])[:limit]:
        rate_now = row["during"] / during_min * 60
        rate_before = row["before"] / before_min * 60
        out.append(f"{row['value']} (시간당 {rate_before:.0f} → {rate_now:.0f})")
    return out


def offline_explanation(*, kind: str, entity: str, metric: str, level: str, observed: float,
                        expected: float, baselines: dict, drill: dict, checkout_broken: bool = False) -> str:
    """A Korean summary of what moved, built from the drill-down numbers only."""
    what = subject(kind, entity, metric)
    if level == "DROP":
        ratio = (1 - observed / expected) * 100 if expected else 100
        lines = [f"{what}가 평소보다 {ratio:.0f}% 줄었습니다 (5분당 {observed:.0f}건, 예상 {expected:.1f}건)."]
    else:
        ratio = observed / expected if expected else float("inf")
        times = f"{ratio:.1f}배" if ratio != float("inf") else "평소 없던 수준"
        lines = [f"{what}가 평소의 {times}로 늘었습니다 (5분당 {observed:.0f}건, 예상 {expected:.1f}건)."]
    parts = []
    for name, label in (("short", "최근 60분 중앙값"), ("yesterday", "어제 같은 시각"), ("week", "지난주 같은 시각")):
        v = baselines.get(name)
        if v is not None:
            parts.append(f"{label} {v:.1f}")
    if parts:
        lines.append("기준선: " + ", ".join(parts) + ".")
    if checkout_broken:
        lines.append("상품 조회는 이어지는데 주문이 멈췄습니다: 결제·주문서 단계가 고장 났을 수 있으니 확인하세요.")
    for dim in ("campaign", "referrer", "product", "keyword"):
        movers = _movers(drill, dim)
        if movers:
            lines.append(f"{DIM_KO[dim]}: " + ", ".join(movers))
    return "\n".join(lines)


def gemini_prompt(*, kind: str, entity: str, metric: str, level: str, observed: float, expected: float,
                  baselines: dict, drill: dict, checkout_broken: bool = False) -> str:
    facts = {"series": subject(kind, entity, metric), "level": level, "observed_per_5min": observed,
             "expected_per_5min": round(expected, 2), "baselines": baselines,
             "checkout_broken_suspected": checkout_broken, "drilldown": drill}
    return ("쇼핑몰 마케터에게 아래 트래픽 이상 신호의 원인을 한국어 3문장 이내로 설명해. 숫자에 없는 사실을 지어내지 말고, "
            "무엇이 움직였는지(상품, 검색어, 캠페인 tracking id, 유입 경로)와 확인할 일을 말해.\n"
            + json.dumps(facts, ensure_ascii=False, default=str))
