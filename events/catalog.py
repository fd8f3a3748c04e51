"""The event type catalog (DESIGN.md §4). Pure data, no Django: the query IR and parser use it.

Codes are a contract with the SDK and with stored data: never renumber.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "label_ko": self.label_ko, "label_en": self.label_en,
            "fields": list(self.fields), "required": list(self.required), "end_code": self.end_code,
        }


_ORDER_FIELDS = ("order_id", "product_id", "product_option_id1", "product_option_id2",
                 "product_quantity", "price", "amount")

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(1, "session_start", "방문 시작", "Session start", ("page_url", "referrer", "utm_source",
              "utm_medium", "utm_campaign", "utm_content", "utm_term")),
    EventType(10, "login", "로그인", "Login", ("login_id",), required=("login_id",)),
    EventType(11, "signup", "회원가입", "Sign-up", ("login_id",), required=("login_id",)),
    EventType(20, "search", "검색", "Search", ("keyword", "sort_by", "page"), required=("keyword",)),
    EventType(21, "category_view_start", "카테고리 조회 시작", "Category view start",
              ("category_id", "sort_by", "page"), end_code=22, required=("category_id",)),
    EventType(22, "category_view_end", "카테고리 조회 종료", "Category view end",
              ("category_id", "sort_by", "page"), required=("category_id",)),
    EventType(31, "main_view_start", "메인 페이지 조회 시작", "Main page view start", ("page_url",), end_code=32),
    EventType(32, "main_view_end", "메인 페이지 조회 종료", "Main page view end", ("page_url",)),
    EventType(41, "cart_add", "장바구니 담기", "Add to cart",
              ("product_id", "product_option_id1", "product_option_id2", "product_quantity", "price"),
              required=("product_id",)),
    EventType(42, "cart_remove", "장바구니 삭제", "Remove from cart", ("product_id",), required=("product_id",)),
    EventType(51, "wishlist_add", "관심상품 담기", "Add to wish list", ("product_id",), required=("product_id",)),
    EventType(61, "checkout_start", "주문서 작성", "Checkout start", ("amount",)),
    EventType(62, "order_complete", "주문 완료", "Order complete", _ORDER_FIELDS,
              required=("order_id", "product_id")),
    EventType(63, "order_cancel", "주문 취소", "Order cancel", ("order_id", "amount"), required=("order_id",)),
    EventType(71, "board_view_start", "게시글 조회 시작", "Board post view start", ("board_id", "article_id"),
              end_code=72, required=("board_id",)),
    EventType(72, "board_view_end", "게시글 조회 종료", "Board post view end", ("board_id", "article_id"),
              required=("board_id",)),
    EventType(73, "review_write", "리뷰 작성", "Review written", ("board_id", "article_id", "product_id")),
    EventType(82, "product_view_start", "상품 조회 시작", "Product view start", ("product_id", "category_id", "price"),
              end_code=83, required=("product_id",)),
    EventType(83, "product_view_end", "상품 조회 종료", "Product view end", ("product_id", "category_id", "price"),
              required=("product_id",)),
    EventType(91, "scroll", "스크롤", "Scroll", ("page_url", "scroll_bucket"), required=("scroll_bucket",)),
    EventType(92, "page_view_start", "기타 페이지 조회 시작", "Other page view start", ("page_url",), end_code=93),
    EventType(93, "page_view_end", "기타 페이지 조회 종료", "Other page view end", ("page_url",)),
    EventType(101, "push_subscribe", "푸시 구독", "Push subscribe", ()),
    EventType(102, "message_click", "메시지 클릭", "Message click", ("tracking_id",), required=("tracking_id",)),
)

BY_CODE: dict[int, EventType] = {e.code: e for e in EVENT_TYPES}
BY_NAME: dict[str, EventType] = {e.name: e for e in EVENT_TYPES}
END_CODES: frozenset[int] = frozenset(e.end_code for e in EVENT_TYPES if e.end_code)


def get(code_or_name: int | str) -> EventType:
    if isinstance(code_or_name, int):
        return BY_CODE[code_or_name]
    return BY_NAME[code_or_name]


def catalog() -> list[dict]:
    return [e.as_dict() for e in EVENT_TYPES]
