"""Grounded customer Q&A: extract the intent first, answer from computed numbers only.

The seed's failure: retrieval over embedded customer text mixed customers up ("VIP 고객들의
특징은?" drew on ordinary customers). The fix kept here is structural: ``extract_intent`` finds
the customer id / segment / metric / behaviour in the question BEFORE any data is read; the
service then reads exactly that scope (one customer's rows, or one segment's aggregate) and
``answer_*`` turns those computed facts into text. An LLM may only reword the finished text, and
``rewording_is_faithful`` rejects a rewording whose numbers are not the computed ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from events.catalog import Code

from .model import DEFAULT_NAMES, SEGMENTS

# Synonyms marketers use, longest first so "중고가치" wins over "일반" and "저가치" over "가치".
SEGMENT_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("중고가치", ("mid",)), ("중간가치", ("mid",)), ("중간", ("mid",)),
    ("저가치", ("low",)), ("저관여", ("low",)),
    ("최우수", ("vip",)), ("우수", ("vip",)), ("vip", ("vip",)), ("충성", ("vip",)), ("단골", ("vip",)),
    ("휴면", ("dormant",)), ("이탈", ("dormant",)), ("잠든", ("dormant",)),
    ("일반", ("mid", "low")),
]
METRIC_WORDS: list[tuple[str, str]] = [
    ("최근성", "recency"), ("마지막 주문", "recency"), ("마지막 구매", "recency"), ("recency", "recency"),
    ("빈도", "frequency"), ("횟수", "frequency"), ("몇 번", "frequency"), ("frequency", "frequency"),
    ("구매액", "monetary"), ("금액", "monetary"), ("매출", "monetary"), ("얼마", "monetary"),
    ("monetary", "monetary"),
]
# Behaviour inside a segment: the words marketers use -> the event they mean. A view pair counts
# its *_start half (DESIGN.md §5). The phrases are how questions are worded, so they are kept
# here rather than taken from the catalog's nouns ("찜", "상품을 본" are not nouns of an event).
_CART, _WISH, _SEARCH = int(Code.CART_ADD), int(Code.WISHLIST_ADD), int(Code.SEARCH)
_VIEW, _VISIT, _REVIEW = int(Code.PRODUCT_VIEW_START), int(Code.SESSION_START), int(Code.REVIEW_WRITE)
BEHAVIOUR_WORDS: list[tuple[str, int]] = [
    ("장바구니", _CART), ("관심상품", _WISH), ("찜", _WISH), ("위시", _WISH), ("검색", _SEARCH),
    ("상품 조회", _VIEW), ("상품을 본", _VIEW), ("상품 본", _VIEW), ("방문", _VISIT), ("리뷰", _REVIEW),
]
# The behaviour as a relative clause in an answer ("최근 7일에 장바구니에 담은 고객은 ...").
BEHAVIOUR_LABELS = {_CART: "장바구니에 담은", _WISH: "관심상품에 담은", _SEARCH: "검색한", _VIEW: "상품을 조회한",
                    _VISIT: "방문한", _REVIEW: "리뷰를 쓴"}
OVERVIEW_WORDS = ("세그먼트", "등급", "분포", "그룹", "군집", "전체 고객", "고객 구성")
DEFAULT_DAYS = 7  # DESIGN.md §5: no period stated = the last 7 days through today

# An id: ASCII letters/digits (Cafe24 member ids, guest uuids, CDNOW's numeric ids). A number
# followed by a unit ("30일", "3회") is a quantity, not an id.
_ID_RE = re.compile(r"(?<![A-Za-z0-9_.@-])([A-Za-z0-9][A-Za-z0-9_.@-]{2,63})(?![A-Za-z0-9_.@-])(?!\s*(?:일|개월|달|주|명|원|회|번|%|시간))")
_NOT_IDS = {"vip", "rfm", "gmm", "id", "recency", "frequency", "monetary"}
_DAYS_RE = re.compile(r"(\d{1,3})\s*(일|주|개월|달)")


@dataclass(frozen=True)
class Behaviour:
    event_code: int
    days: int


@dataclass(frozen=True)
class Intent:
    kind: str  # "customer" | "segment" | "overview" | "unknown"
    customer_key: str | None = None
    segments: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    behaviour: Behaviour | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "customer_key": self.customer_key, "segments": list(self.segments),
            "metrics": list(self.metrics),
            "behaviour": ({"event_code": self.behaviour.event_code, "days": self.behaviour.days}
                          if self.behaviour else None),
        }


def _segment_words(text: str, names: dict[str, str]) -> tuple[str, ...]:
    low = text.lower()
    found: list[str] = []
    # the client's own names first ("골드 고객" configured for vip)
    for code, name in names.items():
        if name and name.lower() in low:
            found.append(code)
            low = low.replace(name.lower(), " ")
    for word, codes in SEGMENT_WORDS:
        if word in low:
            found.extend(codes)
            low = low.replace(word, " ")
    return tuple(s for s in SEGMENTS if s in found)


def _period_days(text: str) -> int:
    m = _DAYS_RE.search(text)
    if not m:
        return DEFAULT_DAYS
    n = int(m.group(1))
    unit = m.group(2)
    return max(1, min(366, n * {"일": 1, "주": 7, "개월": 30, "달": 30}[unit]))


def extract_intent(question: str, *, names: dict[str, str] | None = None) -> Intent:
    text = " ".join((question or "").split())
    if not text:
        return Intent(kind="unknown", reason="empty")
    names = {**DEFAULT_NAMES, **(names or {})}
    segments = _segment_words(text, names)
    metrics = tuple(dict.fromkeys(m for w, m in METRIC_WORDS if w in text.lower()))
    behaviour = None
    for word, code in BEHAVIOUR_WORDS:
        if word in text:
            behaviour = Behaviour(event_code=code, days=_period_days(text))
            break
    # Segment names are removed before looking for ids so "VIP" is never read as a customer.
    scrubbed = text
    for name in names.values():
        scrubbed = scrubbed.replace(name, " ")
    customer = None
    for m in _ID_RE.finditer(scrubbed):
        token = m.group(1).rstrip(".-")
        if token.lower() in _NOT_IDS or token.lower() in {w for w, _ in SEGMENT_WORDS}:
            continue
        customer = token
        break
    if customer:
        return Intent(kind="customer", customer_key=customer, metrics=metrics)
    if segments:
        return Intent(kind="segment", segments=segments, metrics=metrics, behaviour=behaviour)
    if any(w in text for w in OVERVIEW_WORDS) or ("고객" in text and metrics):
        return Intent(kind="overview", metrics=metrics)
    return Intent(kind="unknown", reason="no customer id, segment or metric in the question")


# --- template answers ---------------------------------------------------------------------------

def won(v: float) -> str:
    return f"{round(v):,}원"


def pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def answer_customer(f: dict) -> str:
    probs = sorted(f["probabilities"].items(), key=lambda kv: -kv[1])
    top_p = probs[0][1] if probs else 1.0
    others = ", ".join(f"{n} {pct(p)}" for n, p in probs[1:] if p >= 0.001)
    text = (
        f"고객 {f['customer_key']}은(는) '{f['segment_name']}' 고객입니다 (소속 확률 {pct(top_p)}). "
        f"마지막 주문은 {f['recency']}일 전({f['last_order_date']}), 순 주문 {f['frequency']}회, "
        f"순 구매액 {won(f['monetary'])}입니다."
    )
    if others:
        text += f" 다른 세그먼트 확률: {others}."
    text += f" (모델 v{f['model_version']} 기준)"
    return text


def answer_customer_missing(key: str) -> str:
    return (f"고객 {key}의 주문 기록이 없습니다. 회원 아이디(login_id)를 확인하거나, "
            f"비회원 포함 설정이 켜져 있는지 확인하세요.")


def answer_segment(f: dict, metrics: tuple[str, ...] = ()) -> str:
    if not f["customers"]:
        return f"'{f['segment_name']}' 세그먼트에 속한 고객이 없습니다."
    parts = {
        "recency": f"평균 마지막 주문 후 {f['recency_mean']:.1f}일 (전체 {f['all_recency_mean']:.1f}일)",
        "frequency": f"평균 순 주문 {f['frequency_mean']:.2f}회 (전체 {f['all_frequency_mean']:.2f}회)",
        "monetary": f"평균 순 구매액 {won(f['monetary_mean'])} (전체 {won(f['all_monetary_mean'])})",
    }
    chosen = [parts[m] for m in (metrics or ("recency", "frequency", "monetary"))]
    return (
        f"'{f['segment_name']}' 고객은 {f['customers']:,}명으로 전체의 {pct(f['customer_share'])}이며 "
        f"순 구매액의 {pct(f['value_share'])}를 차지합니다. " + ", ".join(chosen) + "."
        + f" (모델 v{f['model_version']} 기준)"
    )


def answer_behaviour(f: dict) -> str:
    label = BEHAVIOUR_LABELS.get(f["event_code"], "해당 행동을 한")
    head = (f"'{f['segment_name']}' 고객 {f['segment_customers']:,}명 중 최근 {f['days']}일"
            f"({f['start']} ~ {f['end']})에 {label} 고객은 {f['matched']:,}명입니다")
    if f["matched"]:
        shown = ", ".join(f["customer_keys"][:20])
        more = f" 외 {f['matched'] - 20:,}명" if f["matched"] > 20 else ""
        return f"{head}: {shown}{more}."
    return head + "."


def answer_overview(rows: list[dict], model_version: int) -> str:
    if not rows:
        return "아직 세그먼트가 계산되지 않았습니다."
    lines = [f"{r['segment_name']} {r['customers']:,}명({pct(r['customer_share'])}, 매출 {pct(r['value_share'])})"
             for r in rows]
    return "고객 세그먼트: " + ", ".join(lines) + f". (모델 v{model_version} 기준)"


def answer_unknown() -> str:
    return ("고객 아이디(예: '고객 member0001은 어떤 고객이야?'), 세그먼트(예: 'VIP 고객들의 특징은?') "
            "또는 세그먼트와 행동(예: '휴면 고객 중 최근 장바구니에 담은 사람')으로 물어봐 주세요.")


# --- checking an LLM's rewording -----------------------------------------------------------------

_NUM_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    return {m.group(0).replace(",", "") for m in _NUM_RE.finditer(text or "")}


def rewording_is_faithful(template: str, reworded: str) -> bool:
    """Every number the rewording states must be one the template (our computation) stated,
    and the ids it names must be ours: an LLM may change words, never figures."""
    if not reworded or not reworded.strip():
        return False
    return numbers_in(reworded) <= numbers_in(template)


@dataclass
class Answer:
    intent: Intent
    text: str
    facts: dict = field(default_factory=dict)
    worded_by: str = "template"
