"""The audience builder's filter catalog: each filter is a typed, validated rule that compiles to
the same query IR the ask page uses (insights/query/ir.py), so one compiler, one guard and one
tenant filter serve both. Pure pydantic, no Django.

A filter has a key, one of four categories, a Korean (and English) label, a parameter model whose
ranges give field errors, ``to_ir(params)`` -> an IR node and ``describe(params)`` -> a Korean
phrase. Filters that need data the shop has not given us yet (Cafe24 consent, RFM segments,
region) are listed with ``unavailable`` set: choosing one answers that message instead of an
empty audience.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from insights.query import ir

CATEGORIES: dict[str, tuple[str, str]] = {
    "behavior": ("행동", "Behavior"),
    "transaction": ("구매", "Transactions"),
    "profile": ("프로필", "Profile"),
    "lifecycle": ("생애주기·메시지", "Lifecycle & messaging"),
}
MAX_DAYS = 365
EVER_DAYS = 3650  # "ever" for profile facts (member, push-subscribed): ten years back


class FilterUnavailable(ValueError):
    """The filter needs data this shop does not have yet (message in Korean, actionable)."""


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ids(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    out = [str(v).strip() for v in values if str(v).strip()]
    return out or None


class Days(Params):
    days: int = Field(30, ge=1, le=MAX_DAYS, title="기간(일)", description="최근 며칠 동안")


class CountDays(Days):
    min_count: int = Field(1, ge=1, le=10_000, title="최소 횟수")
    max_count: int | None = Field(None, ge=1, le=10_000, title="최대 횟수")

    @model_validator(mode="after")
    def _order(self):
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError("최대 횟수가 최소 횟수보다 작습니다")
        return self


class ProductsCount(CountDays):
    product_ids: list[str] | None = Field(None, max_length=200, title="상품 번호", description="비우면 아무 상품")
    _clean = field_validator("product_ids")(classmethod(lambda cls, v: _ids(v)))


class CategoriesCount(CountDays):
    category_ids: list[str] = Field(..., min_length=1, max_length=200, title="카테고리 번호")

    @field_validator("category_ids")
    @classmethod
    def _clean(cls, v):
        v = _ids(v)
        if not v:
            raise ValueError("카테고리 번호를 하나 이상 입력해 주세요")
        return v


class BoardsCount(CountDays):
    board_ids: list[str] | None = Field(None, max_length=50, title="게시판 번호", description="비우면 모든 게시판")
    _clean = field_validator("board_ids")(classmethod(lambda cls, v: _ids(v)))


class Keyword(Days):
    keywords: list[str] | None = Field(None, max_length=50, title="검색어(정확히)")
    contains: str | None = Field(None, max_length=100, title="검색어에 포함")
    _clean = field_validator("keywords")(classmethod(lambda cls, v: _ids(v)))

    @model_validator(mode="after")
    def _one(self):
        if not self.keywords and not (self.contains or "").strip():
            raise ValueError("검색어를 입력해 주세요")
        return self


class Products(Days):
    product_ids: list[str] | None = Field(None, max_length=200, title="상품 번호", description="비우면 아무 상품")
    _clean = field_validator("product_ids")(classmethod(lambda cls, v: _ids(v)))


class Categories(Days):
    category_ids: list[str] = Field(..., min_length=1, max_length=200, title="카테고리 번호")

    @field_validator("category_ids")
    @classmethod
    def _clean(cls, v):
        v = _ids(v)
        if not v:
            raise ValueError("카테고리 번호를 하나 이상 입력해 주세요")
        return v


class Inactive(Params):
    days: int = Field(14, ge=1, le=MAX_DAYS, title="최근 며칠 동안 없음")
    lookback: int = Field(90, ge=2, le=MAX_DAYS, title="그 전 기간(일)")

    @model_validator(mode="after")
    def _order(self):
        if self.lookback <= self.days:
            raise ValueError("그 전 기간은 '없음' 기간보다 길어야 합니다")
        return self


class Scroll(Days):
    min_percent: int = Field(50, ge=10, le=100, multiple_of=10, title="최소 스크롤(%)")


class Campaign(Days):
    utm_campaign: list[str] | None = Field(None, max_length=50, title="utm_campaign")
    utm_source: list[str] | None = Field(None, max_length=50, title="utm_source")
    _clean = field_validator("utm_campaign", "utm_source")(classmethod(lambda cls, v: _ids(v)))

    @model_validator(mode="after")
    def _one(self):
        if not self.utm_campaign and not self.utm_source:
            raise ValueError("utm_campaign 또는 utm_source를 입력해 주세요")
        return self


class PageUrl(CountDays):
    contains: str = Field(..., min_length=1, max_length=200, title="URL에 포함")


class AmountRange(Days):
    min_amount: int | None = Field(None, ge=0, le=1_000_000_000, title="최소 금액(원)")
    max_amount: int | None = Field(None, ge=0, le=1_000_000_000, title="최대 금액(원)")

    @model_validator(mode="after")
    def _order(self):
        if self.min_amount is None and self.max_amount is None:
            raise ValueError("최소 금액이나 최대 금액을 입력해 주세요")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValueError("최소 금액이 최대 금액보다 큽니다")
        return self

    def range(self) -> ir.Range:
        return ir.Range(gte=self.min_amount, lte=self.max_amount)


class Member(Params):
    is_member: bool = Field(True, title="회원")


class Devices(Days):
    device_types: list[Literal["mobile", "desktop", "tablet"]] = Field(..., min_length=1, title="기기")


class Trackings(Days):
    tracking_ids: list[str] | None = Field(None, max_length=50, title="캠페인 코드", description="비우면 아무 캠페인")
    _clean = field_validator("tracking_ids")(classmethod(lambda cls, v: _ids(v)))


class Nothing(Params):
    pass


class Segment(Params):
    segment: str = Field("vip", min_length=1, max_length=40, title="RFM 세그먼트",
                         description="vip, mid, low, dormant 또는 쇼핑몰이 정한 이름")


class Likely(Params):
    horizon: Literal[30, 90] = Field(30, title="기간(일)", description="30일(다음 달) 또는 90일 안에 주문할 확률")
    top_percent: int | None = Field(None, ge=1, le=100, title="상위(%)", description="확률이 높은 순으로 상위 몇 %")
    min_percent: int | None = Field(None, ge=1, le=99, title="최소 확률(%)")

    @model_validator(mode="after")
    def _one(self):
        if self.top_percent is not None and self.min_percent is not None:
            raise ValueError("상위 %와 최소 확률 중 하나만 입력해 주세요")
        if self.top_percent is None and self.min_percent is None:
            object.__setattr__(self, "top_percent", 20)  # "가능성 높은 고객": the likeliest fifth
        return self


class TopValue(Params):
    top_percent: int = Field(10, ge=1, le=100, title="상위(%)", description="예상 구매액(90일)이 큰 순으로 상위 몇 %")


def _likely_ko(p: Likely) -> str:
    when = "다음 30일" if p.horizon == 30 else "다음 90일"
    if p.min_percent is not None:
        return f"{when} 안에 재구매 가능성(예측) {p.min_percent}% 이상인 고객"
    return f"{when} 재구매 가능성(예측) 상위 {p.top_percent}% 고객"


# "다음 달 재구매 가능성 높은 고객", "예상 구매액 상위 10%": prediction audiences asked in words. The
# event parser has no notion of predictions, so these are read here into the filters above.
_LIKELY_RE = re.compile(r"재구매\s*(?:가능성|확률)|다시\s*(?:살|구매할|주문할)|구매\s*(?:가능성|확률)")
_VALUE_RE = re.compile(r"예상\s*(?:구매\s*(?:액|금액)|매출|구매액)|예측\s*(?:구매액|매출)")
_TOP_RE = re.compile(r"상위\s*(\d{1,3})\s*%")
_MIN_RE = re.compile(r"(\d{1,2})\s*%\s*이상")
_NINETY_RE = re.compile(r"90\s*일|3\s*개월|석\s*달|세\s*달|분기")


def prediction_rules(question: str) -> dict | None:
    """Rules for a prediction audience the question asks for, or None if it asks for none."""
    text = " ".join((question or "").split())
    top = _TOP_RE.search(text)
    if _VALUE_RE.search(text):
        params = {"top_percent": int(top.group(1)) if top else 10}
        key = "expected_revenue_top"
    elif _LIKELY_RE.search(text):
        params = {"horizon": 90 if _NINETY_RE.search(text) else 30}
        low = _MIN_RE.search(text)
        if top:
            params["top_percent"] = int(top.group(1))
        elif low:
            params["min_percent"] = int(low.group(1))
        key = "repurchase_likely"
    else:
        return None
    return {"op": "and", "not": False, "items": [{"filter": key, "params": params, "not": False}]}


def rfm_node(member_ids: list[str], guest_ids: list[str]):
    """Visitors who are the given customers: members by login id, guests by visitor id (ever)."""
    items = []
    if member_ids:
        items.append(ev(ir.ANY_EVENT, EVER_DAYS, login_id=sorted(member_ids)))
    if guest_ids:
        items.append(ev(ir.ANY_EVENT, EVER_DAYS, visitor_id=sorted(guest_ids)))
    if not items:
        return None
    return items[0] if len(items) == 1 else ir.Group(op="or", items=items)


# --- IR helpers -----------------------------------------------------------------------------

def window(days: int) -> ir.Window:
    return ir.Window(type="last_n", n=days, unit="day")


def count(p: CountDays) -> ir.Count:
    if p.max_count is None:
        return ir.Count(op=">=", value=p.min_count)
    if p.max_count == p.min_count:
        return ir.Count(op="=", value=p.min_count)
    return ir.Count(op="between", value=p.min_count, value2=p.max_count)


def ev(event: str, days: int, *, cnt: ir.Count | None = None, **filters) -> ir.EventCondition:
    f = ir.EventFilters(**{k: v for k, v in filters.items() if v is not None})
    return ir.EventCondition(event=event, filters=f, count=cnt or ir.Count(), window=window(days))


def _count_ko(p: CountDays) -> str:
    if p.max_count is None:
        return f"{p.min_count}회 이상" if p.min_count > 1 else ""
    if p.max_count == p.min_count:
        return f"{p.min_count}회"
    return f"{p.min_count}~{p.max_count}회"


def _won(n: int) -> str:
    return f"{n:,}원"


def _amount_ko(p: AmountRange) -> str:
    if p.min_amount is not None and p.max_amount is not None:
        return f"{_won(p.min_amount)}~{_won(p.max_amount)}"
    if p.min_amount is not None:
        return f"{_won(p.min_amount)} 이상"
    return f"{_won(p.max_amount)} 이하"


def _list(values: list[str] | None, noun: str) -> str:
    if not values:
        return ""
    shown = ", ".join(values[:5]) + (f" 외 {len(values) - 5}개" if len(values) > 5 else "")
    return f"{noun} {shown} "


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


# --- the catalog ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FilterSpec:
    key: str
    category: str
    label: str
    label_en: str
    params: type[Params]
    to_ir: Callable[[Params], object]
    describe: Callable[[Params], str]
    # Set when the shop lacks the data: the Korean reason, answered instead of a count.
    unavailable: str | None = None
    # Filters built from several IR conditions cannot be read back from one IR condition.
    composite: bool = False
    # Data held outside the event table (e.g. RFM segments in Postgres): the Django side passes a
    # resolver (params -> IR node); without one the filter answers ``unavailable``.
    external: bool = False

    def build(self, raw: dict | None) -> Params:
        """Validated parameters (pydantic ValidationError carries the field errors)."""
        return self.params.model_validate(raw or {})

    def node(self, params: Params, resolvers: dict | None = None):
        if self.external and resolvers and self.key in resolvers:
            return resolvers[self.key](params)
        if self.unavailable:
            raise FilterUnavailable(self.unavailable)
        return self.to_ir(params)

    def as_dict(self) -> dict:
        return {"key": self.key, "category": self.category, "label": self.label, "label_en": self.label_en,
                "schema": self.params.model_json_schema(), "unavailable": self.unavailable}


def _unavailable_ir(p):  # pragma: no cover - node() refuses before this runs
    raise FilterUnavailable("unavailable")


CAFE24_NEEDED = "Cafe24 연결이 필요합니다: 수신 동의 정보는 Cafe24 회원 정보에서 가져옵니다. 설정에서 Cafe24를 연결해 주세요."
RFM_NEEDED = "RFM 고객 세그먼트가 아직 계산되지 않았습니다. 고객 메뉴에서 RFM 분석을 먼저 실행해 주세요."
PREDICTION_NEEDED = ("재구매 예측이 아직 계산되지 않았습니다: 주문한 회원이 8명 이상이면 고객 메뉴의 재학습(매일 밤 자동)으로 "
                     "계산됩니다.")
REGION_NEEDED = "지역 정보는 아직 수집하지 않습니다: 이벤트에 지역 값이 없어 이 필터를 쓸 수 없습니다."

SPECS: tuple[FilterSpec, ...] = (
    # behavior ------------------------------------------------------------------------------
    FilterSpec("viewed_product", "behavior", "상품 조회", "Viewed a product", ProductsCount,
               lambda p: ev("product_view", p.days, cnt=count(p), product_id=p.product_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.product_ids, "상품") or "상품을", "조회", _count_ko(p))),
    FilterSpec("viewed_category", "behavior", "카테고리 조회", "Viewed a category", CategoriesCount,
               lambda p: ev("category_view", p.days, cnt=count(p), category_id=p.category_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.category_ids, "카테고리"), "조회", _count_ko(p))),
    FilterSpec("viewed_main", "behavior", "메인 페이지 조회", "Viewed the main page", CountDays,
               lambda p: ev("main_view", p.days, cnt=count(p)),
               lambda p: _join(f"최근 {p.days}일 메인 페이지 조회", _count_ko(p))),
    FilterSpec("viewed_board", "behavior", "게시글 조회", "Viewed a board post", BoardsCount,
               lambda p: ev("board_view", p.days, cnt=count(p), board_id=p.board_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.board_ids, "게시판"), "게시글 조회", _count_ko(p))),
    FilterSpec("viewed_page", "behavior", "특정 페이지 방문", "Visited a page (URL)", PageUrl,
               lambda p: ev("page_view", p.days, cnt=count(p), page_url_contains=p.contains),
               lambda p: _join(f"최근 {p.days}일 URL에 '{p.contains}'가 들어간 페이지 조회", _count_ko(p))),
    FilterSpec("searched", "behavior", "검색어 검색", "Searched a keyword", Keyword,
               lambda p: ev("search", p.days, keyword=p.keywords, keyword_contains=(p.contains or None)),
               lambda p: _join(f"최근 {p.days}일",
                               _list(p.keywords, "검색어") or f"'{p.contains}'가 들어간 검색어", "검색")),
    FilterSpec("cart_added", "behavior", "장바구니 담기", "Added to cart", Products,
               lambda p: ev("cart_add", p.days, product_id=p.product_ids),
               lambda p: _join(f"최근 {p.days}일 장바구니에", _list(p.product_ids, "상품"), "담음")),
    FilterSpec("cart_no_order", "behavior", "장바구니에 담고 주문 안 함", "Added to cart, no order", Days,
               lambda p: ir.Group(op="and", items=[ev("cart_add", p.days),
                                                   ir.Not(item=ev("order_complete", p.days))]),
               lambda p: f"최근 {p.days}일 장바구니에 담았지만 주문하지 않음", composite=True),
    FilterSpec("checkout_no_order", "behavior", "주문서 작성 후 이탈", "Started checkout, no order", Days,
               lambda p: ir.Group(op="and", items=[ev("checkout_start", p.days),
                                                   ir.Not(item=ev("order_complete", p.days))]),
               lambda p: f"최근 {p.days}일 주문서를 작성했지만 주문하지 않음", composite=True),
    FilterSpec("wishlisted", "behavior", "관심상품 담기", "Added to wish list", Products,
               lambda p: ev("wishlist_add", p.days, product_id=p.product_ids),
               lambda p: _join(f"최근 {p.days}일 관심상품에", _list(p.product_ids, "상품"), "담음")),
    FilterSpec("visited_within", "behavior", "최근 방문", "Visited recently", Days,
               lambda p: ev(ir.ANY_EVENT, p.days),
               lambda p: f"최근 {p.days}일 안에 방문"),
    FilterSpec("inactive", "behavior", "최근 방문 없음(휴면)", "Lapsed visitor", Inactive,
               lambda p: ir.Group(op="and", items=[ev(ir.ANY_EVENT, p.lookback),
                                                   ir.Not(item=ev(ir.ANY_EVENT, p.days))]),
               lambda p: f"최근 {p.lookback}일 안에 방문했지만 최근 {p.days}일은 방문 없음", composite=True),
    FilterSpec("session_count", "behavior", "방문 횟수", "Number of sessions", CountDays,
               lambda p: ev("session_start", p.days, cnt=count(p)),
               lambda p: _join(f"최근 {p.days}일 방문", _count_ko(p) or "1회 이상")),
    FilterSpec("scroll_depth", "behavior", "스크롤 깊이", "Scroll depth", Scroll,
               lambda p: ev("scroll", p.days, scroll=ir.Range(gte=p.min_percent // 10)),
               lambda p: f"최근 {p.days}일 페이지를 {p.min_percent}% 이상 스크롤"),
    FilterSpec("from_campaign", "behavior", "캠페인 유입", "Arrived from a campaign", Campaign,
               lambda p: ev(ir.ANY_EVENT, p.days, utm_campaign=p.utm_campaign, utm_source=p.utm_source),
               lambda p: _join(f"최근 {p.days}일", _list(p.utm_campaign, "캠페인"), _list(p.utm_source, "유입 경로"),
                               "으로 방문")),
    FilterSpec("reviewed", "behavior", "리뷰 작성", "Wrote a review", Products,
               lambda p: ev("review_write", p.days, product_id=p.product_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.product_ids, "상품"), "리뷰 작성")),
    # transactions --------------------------------------------------------------------------
    FilterSpec("order_count", "transaction", "주문 횟수", "Number of orders", CountDays,
               lambda p: ev("order_complete", p.days, cnt=count(p)),
               lambda p: _join(f"최근 {p.days}일 주문", _count_ko(p) or "1회 이상")),
    FilterSpec("total_spend", "transaction", "총 구매 금액", "Total spend", AmountRange,
               lambda p: ir.EventCondition(event="order_complete", window=window(p.days), total_amount=p.range()),
               lambda p: f"최근 {p.days}일 총 구매 금액 {_amount_ko(p)}"),
    FilterSpec("aov", "transaction", "평균 주문 금액(AOV)", "Average order value", AmountRange,
               lambda p: ir.EventCondition(event="order_complete", window=window(p.days), avg_order=p.range()),
               lambda p: f"최근 {p.days}일 평균 주문 금액 {_amount_ko(p)}"),
    FilterSpec("order_once", "transaction", "한 번에 주문한 금액", "Single order amount", AmountRange,
               lambda p: ev("order_complete", p.days, order_total=p.range()),
               lambda p: f"최근 {p.days}일 한 번에 {_amount_ko(p)} 주문"),
    FilterSpec("ordered_within", "transaction", "최근 구매", "Ordered recently", Days,
               lambda p: ev("order_complete", p.days),
               lambda p: f"최근 {p.days}일 안에 구매"),
    FilterSpec("lapsed_buyer", "transaction", "구매 후 재구매 없음", "Lapsed buyer", Inactive,
               lambda p: ir.Group(op="and", items=[ev("order_complete", p.lookback),
                                                   ir.Not(item=ev("order_complete", p.days))]),
               lambda p: f"최근 {p.lookback}일 안에 구매했지만 최근 {p.days}일은 구매 없음", composite=True),
    FilterSpec("bought_product", "transaction", "상품 구매", "Bought a product", ProductsCount,
               lambda p: ev("order_complete", p.days, cnt=count(p), product_id=p.product_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.product_ids, "상품") or "상품을", "구매", _count_ko(p))),
    FilterSpec("bought_category", "transaction", "카테고리 상품 구매", "Bought from a category", Categories,
               lambda p: ev("order_complete", p.days, category_id=p.category_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.category_ids, "카테고리"), "상품 구매")),
    FilterSpec("cancelled", "transaction", "주문 취소", "Cancelled an order", CountDays,
               lambda p: ev("order_cancel", p.days, cnt=count(p)),
               lambda p: _join(f"최근 {p.days}일 주문 취소", _count_ko(p))),
    FilterSpec("checkout_started", "transaction", "주문서 작성", "Started checkout", Days,
               lambda p: ev("checkout_start", p.days),
               lambda p: f"최근 {p.days}일 주문서 작성"),
    # profile -------------------------------------------------------------------------------
    FilterSpec("member", "profile", "회원", "Member", Nothing,
               lambda p: ir.Group(op="or", items=[ev("login", EVER_DAYS), ev("signup", EVER_DAYS)]),
               lambda p: "회원(로그인 또는 가입 기록 있음)", composite=True),
    FilterSpec("guest", "profile", "비회원", "Guest", Days,
               lambda p: ir.Group(op="and", items=[ev(ir.ANY_EVENT, p.days), ir.Not(item=ir.Group(
                   op="or", items=[ev("login", EVER_DAYS), ev("signup", EVER_DAYS)]))]),
               lambda p: f"최근 {p.days}일 방문한 비회원(로그인·가입 기록 없음)", composite=True),
    FilterSpec("signed_up", "profile", "회원가입", "Signed up", Days,
               lambda p: ev("signup", p.days),
               lambda p: f"최근 {p.days}일 안에 회원가입"),
    FilterSpec("logged_in", "profile", "로그인", "Logged in", CountDays,
               lambda p: ev("login", p.days, cnt=count(p)),
               lambda p: _join(f"최근 {p.days}일 로그인", _count_ko(p))),
    FilterSpec("device", "profile", "기기 유형", "Device type", Devices,
               lambda p: ev(ir.ANY_EVENT, p.days, device_type=list(p.device_types)),
               lambda p: f"최근 {p.days}일 " + ", ".join({"mobile": "모바일", "desktop": "PC", "tablet": "태블릿"}[d]
                                                       for d in p.device_types) + "에서 방문"),
    FilterSpec("region", "profile", "지역", "Region", Nothing, _unavailable_ir,
               lambda p: "지역", unavailable=REGION_NEEDED),
    # lifecycle & messaging -----------------------------------------------------------------
    FilterSpec("push_subscribed", "lifecycle", "푸시 구독", "Push-subscribed", Nothing,
               lambda p: ev("push_subscribe", EVER_DAYS),
               lambda p: "푸시 알림 구독"),
    FilterSpec("clicked_campaign", "lifecycle", "캠페인 메시지 클릭", "Clicked a campaign", Trackings,
               lambda p: ev("message_click", p.days, tracking_id=p.tracking_ids),
               lambda p: _join(f"최근 {p.days}일", _list(p.tracking_ids, "캠페인") or "캠페인 메시지", "클릭")),
    FilterSpec("sms_consent", "lifecycle", "SMS 수신 동의", "SMS consent (Cafe24)", Nothing, _unavailable_ir,
               lambda p: "SMS 수신 동의", unavailable=CAFE24_NEEDED),
    FilterSpec("email_consent", "lifecycle", "이메일 수신 동의", "E-mail consent (Cafe24)", Nothing, _unavailable_ir,
               lambda p: "이메일 수신 동의", unavailable=CAFE24_NEEDED),
    FilterSpec("rfm_segment", "lifecycle", "RFM 세그먼트", "RFM segment", Segment, _unavailable_ir,
               lambda p: f"RFM 세그먼트 '{p.segment}'", unavailable=RFM_NEEDED, external=True),
    FilterSpec("repurchase_likely", "lifecycle", "재구매 가능성(예측)", "Likely to buy again (predicted)", Likely,
               _unavailable_ir, _likely_ko, unavailable=PREDICTION_NEEDED, external=True),
    FilterSpec("expected_revenue_top", "lifecycle", "예상 구매액 상위(예측)", "Top predicted 90-day revenue", TopValue,
               _unavailable_ir, lambda p: f"다음 90일 예상 구매액(예측) 상위 {p.top_percent}% 고객",
               unavailable=PREDICTION_NEEDED, external=True),
)
BY_KEY: dict[str, FilterSpec] = {s.key: s for s in SPECS}


def catalog() -> list[dict]:
    return [s.as_dict() for s in SPECS]
