"""The query IR: the one typed form every way of asking produces (DESIGN.md §3.2).

The offline parser, Gemini (structured output constrained to ``Query.model_json_schema()``) and
the rule-builder UI all emit a ``Query``; ``compiler.compile_query`` alone turns it into SQL.
Pure pydantic, no Django: the JSON schema is exported to the model, so field descriptions are
written for a reader who knows nothing but this schema.

Shape
-----
- kind "A" (audience): ``audience`` is a boolean tree of per-visitor conditions; the answer is
  the distinct visitors (``uuid``) matching it.
- kind "B" (aggregate): ``aggregate`` says what to measure; ``audience`` optionally narrows the
  population measured.
- kind "C" (cannot answer): ``reason`` and ``suggestion`` only.

A per-visitor tree is made of ``EventCondition`` (did event E with these fields N times),
``SequenceCondition`` (did step 1 then step 2 ... within a time limit), ``Group`` (and/or of
children) and ``Not`` (did not match the child). "Never did X" is ``Not(X)``, never a count of 0.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events import catalog

# Logical event names. A view that the SDK records as a start/end pair is ONE event named
# without the suffix; the compiler counts only its *_start code (DESIGN.md §5).
VIEW_PAIRS: dict[str, str] = {
    "product_view": "product_view_start",
    "category_view": "category_view_start",
    "main_view": "main_view_start",
    "board_view": "board_view_start",
    "page_view": "page_view_start",
}
# "any_event": any recorded action (views count once), for visit-level filters such as
# "mobile visitors" or "visitors from instagram" that belong to no particular action.
ANY_EVENT = "any_event"
START_CODES: tuple[int, ...] = tuple(e.code for e in catalog.EVENT_TYPES if e.code not in catalog.END_CODES)
ALL_CODES: tuple[int, ...] = tuple(e.code for e in catalog.EVENT_TYPES)
EVENT_NAMES: tuple[str, ...] = tuple(
    [e.name for e in catalog.EVENT_TYPES
     if e.code not in catalog.END_CODES and e.end_code is None]
    + list(VIEW_PAIRS) + [ANY_EVENT]
)
EventName = Literal[EVENT_NAMES]  # type: ignore[valid-type]


def event_codes(name: str) -> tuple[int, ...]:
    """The event_type codes a logical event name counts (one, except any_event)."""
    if name == ANY_EVENT:
        # Anyone with any event is an active visitor, *_end rows included (one rule everywhere:
        # "방문자 수", any_event with a device/utm filter, the population of NOT).
        return ALL_CODES
    return (catalog.BY_NAME[VIEW_PAIRS.get(name, name)].code,)


def event_code(name: str) -> int:
    """The one event_type code of a specific event name."""
    return catalog.BY_NAME[VIEW_PAIRS.get(name, name)].code


def event_fields(name: str) -> tuple[str, ...]:
    if name == ANY_EVENT:
        return ("page_url",)
    return catalog.BY_NAME[VIEW_PAIRS.get(name, name)].fields


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Model):
    """An inclusive numeric range; either bound may be omitted."""
    gte: int | None = Field(None, ge=0, description="Lower bound, inclusive (>=).")
    lte: int | None = Field(None, ge=0, description="Upper bound, inclusive (<=).")

    @model_validator(mode="after")
    def _bounds(self):
        if self.gte is None and self.lte is None:
            raise ValueError("range needs gte or lte / 범위에는 하한(gte)이나 상한(lte)이 필요합니다")
        if self.gte is not None and self.lte is not None and self.gte > self.lte:
            raise ValueError(f"range lower bound {self.gte} > upper bound {self.lte} / 범위의 하한이 상한보다 큽니다")
        return self


class EventFilters(_Model):
    """Field filters on ONE event. All given filters must hold on the same event row.

    List-valued filters match any of the listed values. Ids are strings, e.g. product_id ["3"].
    """
    product_id: list[str] | None = Field(None, description="Product ids (strings), any of.")
    category_id: list[str] | None = Field(None, description="Category ids (strings), any of.")
    keyword: list[str] | None = Field(None, description="Search keywords, exact match, any of.")
    keyword_contains: str | None = Field(None, description="Search keyword contains this text (case-insensitive).")
    board_id: list[str] | None = Field(None, description="Board ids, any of.")
    article_id: list[str] | None = Field(None, description="Board article ids, any of.")
    tracking_id: list[str] | None = Field(None, description="Message/campaign tracking ids, any of.")
    order_id: list[str] | None = Field(None, description="Order ids, any of.")
    page_url_contains: str | None = Field(None, description="Page URL contains this text.")
    utm_source: list[str] | None = Field(None, description="utm_source values, any of.")
    utm_medium: list[str] | None = Field(None, description="utm_medium values, any of.")
    utm_campaign: list[str] | None = Field(None, description="utm_campaign values, any of.")
    device_type: list[str] | None = Field(None, description="Device types (e.g. mobile, desktop), any of.")
    amount: Range | None = Field(None, description="Amount of the event row in KRW: an order LINE total on "
                                 "order_complete, the cart total on checkout_start, the order total on order_cancel.")
    order_total: Range | None = Field(None, description="order_complete only: total of the whole order (sum of its "
                                      "lines) in KRW, e.g. 'ordered 100,000 won or more at once'.")
    price: Range | None = Field(None, description="Unit price in KRW.")
    quantity: Range | None = Field(None, description="Product quantity.")
    scroll: Range | None = Field(None, description="scroll only: scroll depth bucket 0-10 (0-100 %).")
    login_id: list[str] | None = Field(None, description="Cafe24 member ids (login_id) carried by the event, any of.")
    visitor_id: list[str] | None = Field(None, description="Visitor ids (uuid), any of; for lists resolved elsewhere "
                                         "(e.g. RFM segments), never from a question.")

    @model_validator(mode="after")
    def _non_empty_lists(self):
        for name, value in self:
            if isinstance(value, list) and (not value or any(not str(v).strip() for v in value)):
                raise ValueError(f"filter {name} must list at least one non-empty value / {name} 값이 비어 있습니다")
        return self

    def is_empty(self) -> bool:
        return all(v is None for _, v in self)


# Which fields each filter reads, to reject filters an event never carries.
FILTER_COLUMNS: dict[str, str] = {
    "product_id": "product_id", "category_id": "category_id", "keyword": "keyword",
    "keyword_contains": "keyword", "board_id": "board_id", "article_id": "article_id",
    "tracking_id": "tracking_id", "order_id": "order_id", "page_url_contains": "page_url",
    "utm_source": "utm_source", "utm_medium": "utm_medium", "utm_campaign": "utm_campaign",
    "device_type": "device_type", "amount": "amount", "price": "price", "quantity": "product_quantity",
    "order_total": "amount", "scroll": "scroll_bucket", "login_id": "login_id", "visitor_id": "uuid",
}
# Events that carry a product but no category: a category filter on them means "a product of that
# category", resolved by the compiler from the category the product was viewed under.
PRODUCT_CATEGORY_EVENTS = frozenset({"cart_add", "cart_remove", "wishlist_add", "order_complete", "review_write"})
# Columns every event row has (session attribution), whatever its type.
COMMON_COLUMNS = frozenset({"utm_source", "utm_medium", "utm_campaign", "device_type", "uuid", "login_id"})


class Count(_Model):
    """How many matching events a visitor must have. Default: at least once.

    Counts are over visitors who did the event at least once; "never" is a Not node. For
    order_complete the count is of distinct orders (an order has one event per line).
    """
    op: Literal[">=", "<=", "=", "between"] = Field(">=", description="Comparator.")
    value: int = Field(1, ge=1, description="Count (>= 1). For 'between' the lower bound.")
    value2: int | None = Field(None, ge=1, description="Upper bound, only for 'between' (inclusive).")

    @model_validator(mode="after")
    def _between(self):
        if self.op == "between":
            if self.value2 is None:
                raise ValueError("count 'between' needs value2 / '사이' 조건에는 상한(value2)이 필요합니다")
            if self.value > self.value2:
                raise ValueError(f"count between {self.value} and {self.value2}: lower > upper / 횟수 범위의 하한이 상한보다 큽니다")
        elif self.value2 is not None:
            raise ValueError("value2 is only for op 'between' / value2는 'between'에서만 씁니다")
        return self


class Window(_Model):
    """A period in the client's LOCAL dates; days run local midnight to local midnight.

    - default: from 7 days before today through today (what to use when no period is stated).
    - last_n: the last ``n`` days/weeks/months up to and including today
      (n days = today-n .. today, matching the default for n=7).
    - named: today, yesterday, day_before_yesterday, this_week, last_week (Mon-Sun),
      this_month, last_month.
    - absolute: ``start`` .. ``end`` inclusive local dates (YYYY-MM-DD).
    """
    type: Literal["default", "last_n", "named", "absolute"] = Field("default")
    n: int | None = Field(None, ge=1, le=3660, description="For last_n: how many units.")
    unit: Literal["day", "week", "month"] | None = Field(None, description="For last_n.")
    name: Literal["today", "yesterday", "day_before_yesterday", "this_week", "last_week",
                  "this_month", "last_month"] | None = Field(None, description="For named.")
    start: date | None = Field(None, description="For absolute: first local date, inclusive.")
    end: date | None = Field(None, description="For absolute: last local date, inclusive.")

    @model_validator(mode="after")
    def _fields(self):
        need = {"default": set(), "last_n": {"n", "unit"}, "named": {"name"}, "absolute": {"start", "end"}}[self.type]
        for f in ("n", "unit", "name", "start", "end"):
            given = getattr(self, f) is not None
            if f in need and not given:
                raise ValueError(f"window type {self.type} needs {f} / 기간({self.type})에 {f} 값이 필요합니다")
            if f not in need and given:
                raise ValueError(f"window type {self.type} does not take {f} / 기간({self.type})에는 {f}를 쓰지 않습니다")
        if self.type == "absolute" and self.start > self.end:
            raise ValueError(f"window start {self.start} is after end {self.end} / 시작일이 종료일보다 늦습니다")
        return self


class Duration(_Model):
    value: int = Field(..., ge=1, le=100_000)
    unit: Literal["minute", "hour", "day"]

    def seconds(self) -> int:
        return self.value * {"minute": 60, "hour": 3600, "day": 86400}[self.unit]


class EventStep(_Model):
    """One event with field filters (a funnel or sequence step, or what an aggregate counts)."""
    event: EventName = Field(..., description="Logical event name; views are product_view, main_view, "
                             "category_view, board_view, page_view (each counts only its start).")
    filters: EventFilters = Field(default_factory=EventFilters)

    @model_validator(mode="after")
    def _filters_fit_event(self):
        _check_filters(self.event, self.filters)
        return self


def _check_filters(event: str, filters: EventFilters) -> None:
    if filters.order_total is not None and event != "order_complete":
        raise ValueError(f"order_total is only for order_complete, not {event} / 주문 합계 금액은 주문 완료에만 씁니다")
    carried = set(event_fields(event)) | COMMON_COLUMNS
    if event in PRODUCT_CATEGORY_EVENTS:
        carried.add("category_id")
    for name, value in filters:
        if value is not None and FILTER_COLUMNS[name] not in carried:
            raise ValueError(f"event {event} has no {FILTER_COLUMNS[name]} field / "
                             f"{event} 이벤트에는 {FILTER_COLUMNS[name]} 값이 없습니다")


class EventCondition(_Model):
    """The visitor did ``event`` (with ``filters`` on the same event) ``count`` times in the window."""
    type: Literal["event"] = "event"
    event: EventName = Field(..., description="Logical event name; views are product_view, main_view, "
                             "category_view, board_view, page_view (each counts only its start); any_event "
                             "= any action, for visit-level filters (device, utm).")
    filters: EventFilters = Field(default_factory=EventFilters)
    count: Count = Field(default_factory=Count, description="Default: at least once.")
    window: Window | None = Field(None, description="Own period for this condition; default: the query's window.")
    total_amount: Range | None = Field(None, description="Sum of amount over the visitor's matching events in "
                                       "KRW, e.g. total spend (order_complete), checkout_start or order_cancel.")
    avg_order: Range | None = Field(None, description="order_complete only: the visitor's average order total "
                                    "(AOV) in KRW.")

    @model_validator(mode="after")
    def _filters_fit_event(self):
        _check_filters(self.event, self.filters)
        if self.total_amount is not None and "amount" not in event_fields(self.event):
            raise ValueError(f"event {self.event} has no amount to total / {self.event} 이벤트에는 금액이 없습니다")
        if self.avg_order is not None and self.event != "order_complete":
            raise ValueError("avg_order is only for order_complete / 평균 주문 금액은 주문 완료에만 씁니다")
        return self


class SequenceCondition(_Model):
    """The visitor did ``steps`` in this order (each after the previous), all within ``within``."""
    type: Literal["sequence"] = "sequence"
    steps: list[EventStep] = Field(..., min_length=2, max_length=6)
    within: Duration | None = Field(None, description="Max time from first to last step; none = anywhere in the window.")
    window: Window | None = Field(None, description="Own period; default: the query's window.")


class Group(_Model):
    """All (and) or any (or) of the child conditions hold for the visitor."""
    type: Literal["group"] = "group"
    op: Literal["and", "or"]
    items: list["Node"] = Field(..., min_length=1, max_length=64)


class Not(_Model):
    """The visitor did NOT match ``item``. "Did X but not Y" = and[X, not Y].

    Inside an and-group that also has positive conditions, it removes visitors from them (so "bought
    in the last 30 days but did not visit this week" keeps buyers who were not active this week).
    On its own, or with only other negations, the population is the visitors active in the
    query's window.
    """
    type: Literal["not"] = "not"
    item: "Node"


Node = Annotated[Union[EventCondition, SequenceCondition, Group, Not], Field(discriminator="type")]

GroupBy = Literal["hour", "day", "week", "product", "category", "keyword", "event_type"]


class Aggregate(_Model):
    """What a kind B answer measures.

    - events: number of ``event`` rows (views count their start only); no event = all events.
    - visitors: distinct visitors who did ``event``; no event = active visitors (any event).
    - ratio: share of the ``denominator`` visitors (default: all active visitors) who also match
      ``numerator``; returns numerator, denominator and ratio (0..1).
    - funnel: visitors reaching each of ``steps`` in order (within ``within`` if given).
    - orders: distinct order_id of order_complete. revenue: sum of order_complete amount
      (line totals; cancellations are NOT subtracted). aov: revenue / orders.
    ``event`` narrows events/visitors/orders/revenue (e.g. order_complete of product "3").
    """
    metric: Literal["events", "visitors", "ratio", "funnel", "orders", "revenue", "aov"]
    event: EventStep | None = Field(None, description="For events/visitors: which event; for "
                                    "orders/revenue/aov: optional order_complete filters.")
    numerator: Node | None = Field(None, description="For ratio: the visitors counted on top.")
    denominator: Node | None = Field(None, description="For ratio: the base population; default all active visitors.")
    steps: list[EventStep] | None = Field(None, min_length=2, max_length=8, description="For funnel.")
    within: Duration | None = Field(None, description="For funnel: max time from first to last step.")
    group_by: list[GroupBy] = Field(default_factory=list, max_length=2,
                                    description="Breakdown: time buckets are in the client's timezone.")
    top_n: int | None = Field(None, ge=1, le=1000, description="Keep the first N groups by the metric.")
    order: Literal["desc", "asc"] = Field("desc", description="Order of groups by the metric when top_n is set.")

    @model_validator(mode="after")
    def _shape(self):
        m = self.metric
        if m == "ratio" and self.numerator is None:
            raise ValueError("ratio needs numerator / 비율에는 분자(numerator) 조건이 필요합니다")
        if m != "ratio" and (self.numerator is not None or self.denominator is not None):
            raise ValueError("numerator/denominator are only for ratio / 분자·분모는 비율에서만 씁니다")
        if m == "funnel" and not self.steps:
            raise ValueError("funnel needs at least 2 steps / 퍼널에는 2단계 이상이 필요합니다")
        if m != "funnel" and (self.steps is not None or self.within is not None):
            raise ValueError("steps/within are only for funnel / 단계는 퍼널에서만 씁니다")
        if m in ("orders", "revenue", "aov") and self.event is not None and self.event.event != "order_complete":
            raise ValueError(f"{m} counts order_complete; event must be order_complete / 주문·매출은 주문 완료 이벤트 기준입니다")
        if m in ("ratio", "funnel") and (self.group_by or self.top_n):
            raise ValueError(f"{m} is one figure for the window, no breakdown / 비율·퍼널은 기간 전체로만 계산합니다")
        if "event_type" in self.group_by and self.event is not None:
            raise ValueError("group_by event_type needs no event / 이벤트 유형별 집계에는 특정 이벤트를 지정하지 않습니다")
        if self.top_n is not None and not self.group_by:
            raise ValueError("top_n needs group_by / 상위 N개에는 group_by가 필요합니다")
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by repeats a dimension / group_by에 같은 기준이 반복됩니다")
        if self.event is not None:
            needed = {"product": "product_id", "category": "category_id", "keyword": "keyword"}
            carried = set(event_fields(self.event.event))
            for g in self.group_by:
                if g in needed and needed[g] not in carried:
                    raise ValueError(f"event {self.event.event} has no {needed[g]} to group by / "
                                     f"{self.event.event} 이벤트에는 {needed[g]} 값이 없습니다")
        return self


class Query(_Model):
    """A marketer's question as a typed query.

    kind A: ``audience`` required (who). kind B: ``aggregate`` required (how many / how much),
    ``audience`` optional (only these visitors). kind C: ``reason`` (Korean, why it cannot be
    answered from recorded shop behavior) and ``suggestion`` (a question that could be answered).
    """
    kind: Literal["A", "B", "C"] = Field(..., description="A audience, B aggregate, C cannot answer.")
    window: Window = Field(default_factory=Window, description="Period; type 'default' if the question states none.")
    audience: Node | None = Field(None, description="Per-visitor conditions (A: who; B: optional population filter).")
    aggregate: Aggregate | None = Field(None, description="Kind B only.")
    reason: str | None = Field(None, max_length=500, description="Kind C only: why it cannot be answered (Korean).")
    suggestion: str | None = Field(None, max_length=500, description="Kind C only: a rephrasing that can be answered (Korean).")

    @model_validator(mode="after")
    def _kind(self):
        if self.kind == "A":
            if self.audience is None:
                raise ValueError("kind A needs audience / 대상(A)에는 조건이 필요합니다")
            if self.aggregate is not None or self.reason is not None:
                raise ValueError("kind A takes audience only / 대상(A)에는 집계나 사유를 쓰지 않습니다")
        elif self.kind == "B":
            if self.aggregate is None:
                raise ValueError("kind B needs aggregate / 집계(B)에는 aggregate가 필요합니다")
            if self.reason is not None:
                raise ValueError("kind B takes no reason / 집계(B)에는 사유를 쓰지 않습니다")
        else:
            if not self.reason:
                raise ValueError("kind C needs a reason / 답할 수 없음(C)에는 사유가 필요합니다")
            if self.audience is not None or self.aggregate is not None:
                raise ValueError("kind C takes reason/suggestion only / C에는 사유와 제안만 씁니다")
        return self


Group.model_rebuild()
Not.model_rebuild()
Aggregate.model_rebuild()
Query.model_rebuild()


def cannot_answer(reason: str, suggestion: str | None = None) -> Query:
    return Query(kind="C", reason=reason, suggestion=suggestion)


def json_schema() -> dict:
    """The schema handed to the model (structured output) and exported for the UI."""
    return Query.model_json_schema()
