"""The event type catalog (DESIGN.md §4). Pure data, no Django: the query IR and parser use it.

Codes are a contract with the SDK and with stored data: never renumber.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


@dataclass(frozen=True)
class EventType:
    code: int
    name: str
    label_ko: str
    label_en: str
    fields: tuple[str, ...] = field(default_factory=tuple)
    # For a *_start event, the code of its *_end partner: a start/end pair is ONE view.
    end_code: int | None = None
    required: tuple[str, ...] = field(default_factory=tuple)
    # What a marketer calls the action in a sentence ("상품 조회", "구매"); for a start/end pair
    # the start carries the noun of the one view. Empty for *_end events.
    noun_ko: str = ""
    noun_en: str = ""

    @property
    def logical_name(self) -> str:
        """The name questions use: a view pair is one view ("product_view"), others as they are."""
        return self.name.removesuffix("_start") if self.end_code else self.name

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "label_ko": self.label_ko, "label_en": self.label_en,
            "fields": list(self.fields), "required": list(self.required), "end_code": self.end_code,
        }


_ORDER_FIELDS = ("order_id", "product_id", "product_option_id1", "product_option_id2",
                 "product_quantity", "price", "amount")

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(1, "session_start", "방문 시작", "Session start", ("page_url", "referrer", "utm_source",
              "utm_medium", "utm_campaign", "utm_content", "utm_term"), noun_ko="방문", noun_en="visit"),
    EventType(10, "login", "로그인", "Login", ("login_id",), required=("login_id",), noun_ko="로그인", noun_en="login"),
    EventType(11, "signup", "회원가입", "Sign-up", ("login_id",), required=("login_id",), noun_ko="회원가입", noun_en="sign-up"),
    EventType(20, "search", "검색", "Search", ("keyword", "sort_by", "page"), required=("keyword",), noun_ko="검색", noun_en="search"),
    EventType(21, "category_view_start", "카테고리 조회 시작", "Category view start",
              ("category_id", "sort_by", "page"), end_code=22, required=("category_id",), noun_ko="카테고리 조회", noun_en="category view"),
    EventType(22, "category_view_end", "카테고리 조회 종료", "Category view end",
              ("category_id", "sort_by", "page"), required=("category_id",)),
    EventType(31, "main_view_start", "메인 페이지 조회 시작", "Main page view start", ("page_url",), end_code=32, noun_ko="메인 페이지 조회", noun_en="main page view"),
    EventType(32, "main_view_end", "메인 페이지 조회 종료", "Main page view end", ("page_url",)),
    EventType(41, "cart_add", "장바구니 담기", "Add to cart",
              ("product_id", "product_option_id1", "product_option_id2", "product_quantity", "price"),
              required=("product_id",), noun_ko="장바구니 담기", noun_en="add to cart"),
    EventType(42, "cart_remove", "장바구니 삭제", "Remove from cart", ("product_id",), required=("product_id",), noun_ko="장바구니 삭제", noun_en="cart removal"),
    EventType(51, "wishlist_add", "관심상품 담기", "Add to wish list", ("product_id",), required=("product_id",), noun_ko="관심상품 담기", noun_en="wish-list add"),
    EventType(61, "checkout_start", "주문서 작성", "Checkout start", ("amount",), noun_ko="주문서 작성", noun_en="checkout"),
    EventType(62, "order_complete", "주문 완료", "Order complete", _ORDER_FIELDS,
              required=("order_id", "product_id"), noun_ko="구매", noun_en="purchase"),
    EventType(63, "order_cancel", "주문 취소", "Order cancel", ("order_id", "amount"), required=("order_id",), noun_ko="주문 취소", noun_en="order cancellation"),
    EventType(71, "board_view_start", "게시글 조회 시작", "Board post view start", ("board_id", "article_id"),
              end_code=72, required=("board_id",), noun_ko="게시글 조회", noun_en="board post view"),
    EventType(72, "board_view_end", "게시글 조회 종료", "Board post view end", ("board_id", "article_id"),
              required=("board_id",)),
    EventType(73, "review_write", "리뷰 작성", "Review written", ("board_id", "article_id", "product_id"), noun_ko="리뷰 작성", noun_en="review"),
    EventType(82, "product_view_start", "상품 조회 시작", "Product view start", ("product_id", "category_id", "price"),
              end_code=83, required=("product_id",), noun_ko="상품 조회", noun_en="product view"),
    EventType(83, "product_view_end", "상품 조회 종료", "Product view end", ("product_id", "category_id", "price"),
              required=("product_id",)),
    EventType(91, "scroll", "스크롤", "Scroll", ("page_url", "scroll_bucket"), required=("scroll_bucket",), noun_ko="스크롤", noun_en="scroll"),
    EventType(92, "page_view_start", "기타 페이지 조회 시작", "Other page view start", ("page_url",), end_code=93, noun_ko="페이지 조회", noun_en="page view"),
    EventType(93, "page_view_end", "기타 페이지 조회 종료", "Other page view end", ("page_url",)),
    EventType(101, "push_subscribe", "푸시 구독", "Push subscribe", (), noun_ko="푸시 구독", noun_en="push subscription"),
    EventType(102, "message_click", "메시지 클릭", "Message click", ("tracking_id",), required=("tracking_id",), noun_ko="메시지 클릭", noun_en="message click"),
)

BY_CODE: dict[int, EventType] = {e.code: e for e in EVENT_TYPES}
BY_NAME: dict[str, EventType] = {e.name: e for e in EVENT_TYPES}
END_CODES: frozenset[int] = frozenset(e.end_code for e in EVENT_TYPES if e.end_code)

# The codes by name, for SQL written in Python: f"event_type = {Code.ORDER_COMPLETE}" (an IntEnum
# formats as its number), never a bare 62 that drifts from this table.
Code = IntEnum("Code", {e.name.upper(): e.code for e in EVENT_TYPES})
# Events that carry the Cafe24 member id (login_id): who a visitor is.
IDENTITY_CODES: tuple[int, ...] = (Code.LOGIN, Code.SIGNUP)
# Logical events (a view pair is one view) -> their nouns in a sentence.
NOUN_KO: dict[str, str] = {e.logical_name: e.noun_ko for e in EVENT_TYPES if e.noun_ko}
NOUN_EN: dict[str, str] = {e.logical_name: e.noun_en for e in EVENT_TYPES if e.noun_en}


# The event table's columns in table order: events/ch_migrations creates them, and a test holds
# this list and the migrated table equal. Everything that writes or reads whole rows (ingest,
# import, export, the query guard) takes the list from here.
COLUMNS: tuple[str, ...] = (
    "event_id", "client_id", "uuid", "event_type", "order_id", "tracking_id", "product_id",
    "product_option_id1", "product_option_id2", "product_quantity", "price", "amount", "keyword",
    "sort_by", "page", "board_id", "article_id", "login_id", "phone_number", "page_url",
    "category_id", "scroll_bucket", "session_id", "referrer", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "utm_term", "device_type", "created_at",
)


def sql_codes(codes) -> str:
    """``(10, 11)`` for ``event_type IN ...``: codes from this table, as SQL literals."""
    return "(" + ", ".join(str(int(c)) for c in codes) + ")"


def get(code_or_name: int | str) -> EventType:
    if isinstance(code_or_name, int):
        return BY_CODE[code_or_name]
    return BY_NAME[code_or_name]


def catalog() -> list[dict]:
    return [e.as_dict() for e in EVENT_TYPES]
