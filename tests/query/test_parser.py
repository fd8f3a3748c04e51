"""The offline parser: questions -> IR. Expected IRs were checked by hand; compared exactly.

``CASES`` are phrasings the rules were developed on. ``HELD_OUT`` and ``HELD_OUT_2`` were written
with their expected IR before the parser saw them; for those the parser must give the expected IR
or kind C, never a different (wrong) IR. First-contact figures are in docs/benchmarks.md.
"""
from datetime import date

import pytest

from insights.query import ir
from insights.query.parser_ko import OfflineEngine, parse

TODAY = date(2025, 8, 9)


def _ir(q: ir.Query) -> dict:
    d = q.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return {"kind": "C"} if d["kind"] == "C" else d


CASES = [
    ('8월 1일부터 8일까지 상품 3을 두 번 이상 조회한 사람', {"kind": "A", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-08"}, "audience": {"event": "product_view", "filters": {"product_id": ["3"]}, "count": {"value": 2}}}),
    ('최근 7일 방문자 중 메인 페이지를 조회한 비율', {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"}, "aggregate": {"metric": "ratio", "numerator": {"event": "main_view"}}}),
    ('어제 방문자 중 몇 %가 메인 페이지를 봤어?', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "ratio", "numerator": {"event": "main_view"}}}),
    ('장바구니에 담았지만 구매하지 않은 사람', {"kind": "A", "audience": {"op": "and", "items": [{"event": "cart_add"}, {"item": {"event": "order_complete"}}]}}),
    ('최근 14일 동안 상품 5를 3회 이상 본 고객 목록', {"kind": "A", "window": {"type": "last_n", "n": 14, "unit": "day"}, "audience": {"event": "product_view", "filters": {"product_id": ["5"]}, "count": {"value": 3}}}),
    ('이번 달 일별 주문 수', {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "orders", "group_by": ["day"]}}),
    ('지난주 가장 많이 본 상품 5개', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "events", "event": {"event": "product_view"}, "group_by": ["product"], "top_n": 5}}),
    ('2025-08-01~2025-08-08 검색한 사람 몇 명', {"kind": "B", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-08"}, "aggregate": {"metric": "visitors", "event": {"event": "search"}}}),
    ("'원피스'를 검색한 사람", {"kind": "A", "audience": {"event": "search", "filters": {"keyword": ["원피스"]}}}),
    ('원피스를 검색한 사람', {"kind": "A", "audience": {"event": "search", "filters": {"keyword": ["원피스"]}}}),
    ('지난달 매출', {"kind": "B", "window": {"type": "named", "name": "last_month"}, "aggregate": {"metric": "revenue"}}),
    ('이번 달 상품별 매출', {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "revenue", "group_by": ["product"]}}),
    ('한 번도 구매하지 않은 방문자', {"kind": "A", "audience": {"item": {"event": "order_complete"}}}),
    ('viewed product 3 at least twice last week', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"event": "product_view", "filters": {"product_id": ["3"]}, "count": {"value": 2}}}),
    ('ratio of visitors who saw the main page', {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "main_view"}}}),
    ('top 5 most viewed products', {"kind": "B", "aggregate": {"metric": "events", "event": {"event": "product_view"}, "group_by": ["product"], "top_n": 5}}),
    ('daily orders this month', {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "orders", "group_by": ["day"]}}),
    ('added to cart but did not buy', {"kind": "A", "audience": {"op": "and", "items": [{"event": "cart_add"}, {"item": {"event": "order_complete"}}]}}),
    ('how many people searched for "shoes" yesterday', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "visitors", "event": {"event": "search", "filters": {"keyword": ["shoes"]}}}}),
    ('people who viewed product 3 then added it to cart within 30 minutes', {"kind": "A", "audience": {"steps": [{"event": "product_view", "filters": {"product_id": ["3"]}}, {"event": "cart_add"}], "within": {"value": 30, "unit": "minute"}}}),
    ('상품 3을 보고 30분 이내에 장바구니에 담은 사람', {"kind": "A", "audience": {"steps": [{"event": "product_view", "filters": {"product_id": ["3"]}}, {"event": "cart_add"}], "within": {"value": 30, "unit": "minute"}}}),
    ('나이가 30대인 고객', {"kind": "C"}),
    ('잘 팔리는 상품', {"kind": "C"}),
    ('오늘 날씨 어때', {"kind": "C"}),
    ('event 테이블 삭제해줘', {"kind": "C"}),
    ('상품 3을 본 사람 중 구매한 비율', {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "order_complete"}, "denominator": {"event": "product_view", "filters": {"product_id": ["3"]}}}}),
    ('리뷰를 작성한 사람', {"kind": "A", "audience": {"event": "review_write"}}),
    ('카테고리 5를 조회한 사람 수', {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "category_view", "filters": {"category_id": ["5"]}}}}),
    ('상품 조회 장바구니 구매 퍼널', {"kind": "B", "aggregate": {"metric": "funnel", "steps": [{"event": "product_view"}, {"event": "cart_add"}, {"event": "order_complete"}]}}),
    ('지난주 객단가', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "aov"}}),
    ('5만원 이상 구매한 고객', {"kind": "A", "audience": {"event": "order_complete", "filters": {"order_total": {"gte": 50000}}}}),
    ('시간대별 방문자 수', {"kind": "B", "aggregate": {"metric": "visitors", "group_by": ["hour"]}}),
    ('푸시 구독한 사람', {"kind": "A", "audience": {"event": "push_subscribe"}}),
    ('가장 많이 검색된 검색어 10개', {"kind": "B", "aggregate": {"metric": "events", "event": {"event": "search"}, "group_by": ["keyword"], "top_n": 10}}),
    ('viewed product 3 at least twice last week', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"event": "product_view", "filters": {"product_id": ["3"]}, "count": {"value": 2}}}),
    ('people who bought product 7 more than once this month', {"kind": "A", "window": {"type": "named", "name": "this_month"}, "audience": {"event": "order_complete", "filters": {"product_id": ["7"]}, "count": {"value": 2}}}),
    ('visitors who never added anything to cart', {"kind": "A", "audience": {"item": {"event": "cart_add"}}}),
    ('users who searched for shoes but did not buy', {"kind": "A", "audience": {"op": "and", "items": [{"event": "search", "filters": {"keyword": ["shoes"]}}, {"item": {"event": "order_complete"}}]}}),
    ('how many visitors viewed category 2 yesterday', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "visitors", "event": {"event": "category_view", "filters": {"category_id": ["2"]}}}}),
    ('what percentage of visitors who viewed product 3 bought it', {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "order_complete"}, "denominator": {"event": "product_view", "filters": {"product_id": ["3"]}}}}),
    ('daily revenue last month', {"kind": "B", "window": {"type": "named", "name": "last_month"}, "aggregate": {"metric": "revenue", "group_by": ["day"]}}),
    ('hourly visitors today', {"kind": "B", "window": {"type": "named", "name": "today"}, "aggregate": {"metric": "visitors", "group_by": ["hour"]}}),
    ('top 10 searched keywords last 30 days', {"kind": "B", "window": {"type": "last_n", "n": 30, "unit": "day"}, "aggregate": {"metric": "events", "event": {"event": "search"}, "group_by": ["keyword"], "top_n": 10}}),
    ('list of people who wrote a review', {"kind": "A", "audience": {"event": "review_write"}}),
    ('customers who purchased over 50000 won', {"kind": "A", "audience": {"event": "order_complete", "filters": {"order_total": {"gte": 50001}}}}),
    ('어제 상품 3 조회수', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "events", "event": {"event": "product_view", "filters": {"product_id": ["3"]}}}}),
    ('최근 30일 상품 3 매출', {"kind": "B", "window": {"type": "last_n", "n": 30, "unit": "day"}, "aggregate": {"metric": "revenue", "event": {"event": "order_complete", "filters": {"product_id": ["3"]}}}}),
    ('상품 3을 3번 본 사람', {"kind": "A", "audience": {"event": "product_view", "filters": {"product_id": ["3"]}, "count": {"op": "=", "value": 3}}}),
    ('상품 3을 1~3회 조회한 사람', {"kind": "A", "audience": {"event": "product_view", "filters": {"product_id": ["3"]}, "count": {"op": "between", "value2": 3}}}),
    ('메인 페이지를 한 번도 안 본 방문자', {"kind": "A", "audience": {"item": {"event": "main_view"}}}),
    ('장바구니에 상품 3을 담은 사람', {"kind": "A", "audience": {"event": "cart_add", "filters": {"product_id": ["3"]}}}),
    ('주문서를 작성했지만 결제하지 않은 고객', {"kind": "A", "audience": {"op": "and", "items": [{"event": "checkout_start"}, {"item": {"event": "order_complete"}}]}}),
    ('8/1~8/8 카테고리별 조회수', {"kind": "B", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-08"}, "aggregate": {"metric": "events", "event": {"event": "category_view"}, "group_by": ["category"]}}),
    ('일별 방문자 수', {"kind": "B", "aggregate": {"metric": "visitors", "group_by": ["day"]}}),
    ('이번 주 로그인한 회원 수', {"kind": "B", "window": {"type": "named", "name": "this_week"}, "aggregate": {"metric": "visitors", "event": {"event": "login"}}}),
    ('가입한 사람 목록', {"kind": "A", "audience": {"event": "signup"}}),
    ('지난주 주문 취소한 사람', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"event": "order_cancel"}}),
    ('관심상품에 담은 사람 몇 명', {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "wishlist_add"}}}),
    ('메시지를 클릭한 사람', {"kind": "A", "audience": {"event": "message_click"}}),
    ('상위 5개 카테고리', {"kind": "C"}),
    ('게시판 3 게시글을 본 사람', {"kind": "A", "audience": {"event": "board_view", "filters": {"board_id": ["3"]}}}),
    ('검색어에 원피스가 들어간 검색을 한 사람', {"kind": "A", "audience": {"event": "search", "filters": {"keyword_contains": "원피스"}}}),
    ('상품 3 또는 5를 본 사람', {"kind": "A", "audience": {"event": "product_view", "filters": {"product_id": ["3", "5"]}}}),
    ('상품 조회 후 장바구니 담기 후 구매 퍼널', {"kind": "B", "aggregate": {"metric": "funnel", "steps": [{"event": "product_view"}, {"event": "cart_add"}, {"event": "order_complete"}]}}),
    ('최근 14일 상품 조회에서 구매까지 전환율', {"kind": "B", "window": {"type": "last_n", "n": 14, "unit": "day"}, "aggregate": {"metric": "ratio", "numerator": {"event": "order_complete"}, "denominator": {"event": "product_view"}}}),
    ('지난 7일간 상품 2를 조회한 고객 명단', {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"}, "audience": {"event": "product_view", "filters": {"product_id": ["2"]}}}),
    ('어제 장바구니에 상품 4를 넣은 사람 몇 명이야', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "visitors", "event": {"event": "cart_add", "filters": {"product_id": ["4"]}}}}),
    ("이번 주에 '셔츠'라고 검색한 방문자", {"kind": "A", "window": {"type": "named", "name": "this_week"}, "audience": {"event": "search", "filters": {"keyword": ["셔츠"]}}}),
    ('최근 3일 동안 주문한 사람 중 리뷰를 쓴 비율', {"kind": "B", "window": {"type": "last_n", "n": 3, "unit": "day"}, "aggregate": {"metric": "ratio", "numerator": {"event": "review_write"}, "denominator": {"event": "order_complete"}}}),
    ('8월 2일 하루 동안 메인 화면 본 사람 수', {"kind": "B", "window": {"type": "absolute", "start": "2025-08-02", "end": "2025-08-02"}, "aggregate": {"metric": "visitors", "event": {"event": "main_view"}}}),
    ('2025.08.01-2025.08.05 일별 매출', {"kind": "B", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-05"}, "aggregate": {"metric": "revenue", "group_by": ["day"]}}),
    ('지난달 카테고리 3을 세 번 이상 본 사람', {"kind": "A", "window": {"type": "named", "name": "last_month"}, "audience": {"event": "category_view", "filters": {"category_id": ["3"]}, "count": {"value": 3}}}),
    ('오늘 시간대별 주문 건수', {"kind": "B", "window": {"type": "named", "name": "today"}, "aggregate": {"metric": "orders", "group_by": ["hour"]}}),
    ('이번 달 가장 많이 담긴 상품 3개', {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "events", "event": {"event": "cart_add"}, "group_by": ["product"], "top_n": 3}}),
    ('최근 한 달 동안 구매 금액 10만원 이상인 주문을 한 고객', {"kind": "A", "window": {"type": "last_n", "n": 1, "unit": "month"}, "audience": {"event": "order_complete", "filters": {"order_total": {"gte": 100000}}}}),
    ('상품 1을 봤는데 장바구니에는 안 담은 사람', {"kind": "A", "audience": {"op": "and", "items": [{"event": "product_view", "filters": {"product_id": ["1"]}}, {"item": {"event": "cart_add"}}]}}),
    ('상품 6 조회 후 1시간 안에 구매한 사람', {"kind": "A", "audience": {"steps": [{"event": "product_view", "filters": {"product_id": ["6"]}}, {"event": "order_complete"}], "within": {"value": 1, "unit": "hour"}}}),
    ('지난주 로그인 안 한 회원', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"item": {"event": "login"}}}),
    ('최근 14일 검색 횟수', {"kind": "B", "window": {"type": "last_n", "n": 14, "unit": "day"}, "aggregate": {"metric": "events", "event": {"event": "search"}}}),
    ('지난주 방문자 수', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "visitors"}}),
    ('who added product 2 to the cart yesterday', {"kind": "A", "window": {"type": "named", "name": "yesterday"}, "audience": {"event": "cart_add", "filters": {"product_id": ["2"]}}}),
    ('how many orders last week', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "orders"}}),
    ('revenue by product this month', {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "revenue", "group_by": ["product"]}}),
    ('people who viewed category 1 more than 3 times in the past 14 days', {"kind": "A", "window": {"type": "last_n", "n": 14, "unit": "day"}, "audience": {"event": "category_view", "filters": {"category_id": ["1"]}, "count": {"value": 4}}}),
    ('share of visitors who searched', {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "search"}}}),
    ('users who logged in but never purchased', {"kind": "A", "audience": {"op": "and", "items": [{"event": "login"}, {"item": {"event": "order_complete"}}]}}),
    ('show me people who subscribed to push', {"kind": "A", "audience": {"event": "push_subscribe"}}),
    ('number of searches by keyword yesterday', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "events", "event": {"event": "search"}, "group_by": ["keyword"]}}),
    ('weekly visitors in the last 2 months', {"kind": "B", "window": {"type": "last_n", "n": 2, "unit": "month"}, "aggregate": {"metric": "visitors", "group_by": ["week"]}}),
    ('most viewed categories last week', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "events", "event": {"event": "category_view"}, "group_by": ["category"], "top_n": 10}}),
    ('visitors from 2025-08-01 to 2025-08-07 who bought product 5 twice', {"kind": "A", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-07"}, "audience": {"event": "order_complete", "filters": {"product_id": ["5"]}, "count": {"op": "=", "value": 2}}}),
    ('고객 나이대별 구매율', {"kind": "C"}),
    ('내일 구매할 것 같은 사람', {"kind": "C"}),
    ('자주 방문하는 사람', {"kind": "C"}),
    ('상품 3 재고가 얼마야', {"kind": "C"}),
    ('상품 3을 본 사람 중 몇 명이 구매했어?', {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "order_complete"}, "denominator": {"event": "product_view", "filters": {"product_id": ["3"]}}}}),
    ('그제 메인 페이지 본 사람', {"kind": "A", "window": {"type": "named", "name": "day_before_yesterday"}, "audience": {"event": "main_view"}}),
    ('저번 주 상품 10을 열람한 고객', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"event": "product_view", "filters": {"product_id": ["10"]}}}),
    ('최근 2주 카트에 담은 사람', {"kind": "A", "window": {"type": "last_n", "n": 2, "unit": "week"}, "audience": {"event": "cart_add"}}),
    ('최근 3개월 결제한 회원 목록', {"kind": "A", "window": {"type": "last_n", "n": 3, "unit": "month"}, "audience": {"event": "order_complete"}}),
    ('지난주에 게시글을 본 사람', {"kind": "A", "window": {"type": "named", "name": "last_week"}, "audience": {"event": "board_view"}}),
    ('캠페인 클릭한 사람 몇 명', {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "message_click"}}}),
    ('2025.08.01~2025.08.03 후기 쓴 사람', {"kind": "A", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-03"}, "audience": {"event": "review_write"}}),
    ('이번 달 상품 5를 산 사람', {"kind": "A", "window": {"type": "named", "name": "this_month"}, "audience": {"event": "order_complete", "filters": {"product_id": ["5"]}}}),
    ('장바구니에서 상품 2를 삭제한 사람', {"kind": "A", "audience": {"event": "cart_remove", "filters": {"product_id": ["2"]}}}),
    ('쿠폰 쓴 사람', {"kind": "C"}),
    ('what percent of visitors added to cart last week', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "ratio", "numerator": {"event": "cart_add"}}}),
    ('orders by day in the last 7 days', {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"}, "aggregate": {"metric": "orders", "group_by": ["day"]}}),
    ('who viewed the home page today', {"kind": "A", "window": {"type": "named", "name": "today"}, "audience": {"event": "main_view"}}),
    ('지난달 cmp-1 메시지를 클릭한 사람', {"kind": "A", "window": {"type": "named", "name": "last_month"}, "audience": {"event": "message_click", "filters": {"tracking_id": ["cmp-1"]}}}),
    ('cmp-2 메시지 클릭 수', {"kind": "B", "aggregate": {"metric": "events", "event": {"event": "message_click", "filters": {"tracking_id": ["cmp-2"]}}}}),
    ('최근 30일 동안 5번 이상 방문한 사람', {"kind": "A", "window": {"type": "last_n", "n": 30, "unit": "day"}, "audience": {"event": "session_start", "count": {"value": 5}}}),
    ('한 번에 10만원 이상 주문한 고객', {"kind": "A", "audience": {"event": "order_complete", "filters": {"order_total": {"gte": 100000}}}}),
    ('모바일에서 구매한 사람', {"kind": "A", "audience": {"event": "order_complete", "filters": {"device_type": ["mobile"]}}}),
    ('인스타그램으로 들어와서 상품을 본 사람', {"kind": "A", "audience": {"event": "product_view", "filters": {"utm_source": ["instagram"]}}}),
    ('7번 상품을 조회한 뒤 7번 상품을 장바구니에 담은 사람', {"kind": "A", "audience": {"steps": [{"event": "product_view", "filters": {"product_id": ["7"]}}, {"event": "cart_add", "filters": {"product_id": ["7"]}}]}}),
    ('지난 2주 동안 2번 이상 주문한 고객', {"kind": "A", "window": {"type": "last_n", "n": 2, "unit": "week"}, "audience": {"event": "order_complete", "count": {"value": 2}}}),
    ('오늘 장바구니에서 상품을 뺀 방문자', {"kind": "A", "window": {"type": "named", "name": "today"}, "audience": {"event": "cart_remove"}}),
    ('카테고리 페이지 조회수를 카테고리별로 보여줘', {"kind": "B", "aggregate": {"metric": "events", "event": {"event": "category_view"}, "group_by": ["category"]}}),
    ('지난주 회원가입 수', {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "events", "event": {"event": "signup"}}}),
    ('How many orders did we get yesterday?', {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "orders"}}),
    ('최근 7일 리뷰 작성 수', {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"}, "aggregate": {"metric": "events", "event": {"event": "review_write"}}}),
    ('지난달 summer_sale 캠페인으로 들어온 방문자 수', {"kind": "B", "window": {"type": "named", "name": "last_month"}, "aggregate": {"metric": "visitors", "event": {"event": "any_event", "filters": {"utm_campaign": ["summer_sale"]}}}}),
    ('최근 7일 모바일 방문자 수', {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"}, "aggregate": {"metric": "visitors", "event": {"event": "any_event", "filters": {"device_type": ["mobile"]}}}}),
    ('8월 5일에 4번 게시판 글을 본 사람', {"kind": "A", "window": {"type": "absolute", "start": "2025-08-05", "end": "2025-08-05"}, "audience": {"event": "board_view", "filters": {"board_id": ["4"]}}}),
]

HELD_OUT = [
    ("지난 2주 동안 상품 8을 조회한 사람",
     {"kind": "A", "window": {"type": "last_n", "n": 2, "unit": "week"},
      "audience": {"event": "product_view", "filters": {"product_id": ["8"]}}}),
    ("어제 주문 건수",
     {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "orders"}}),
    ("이번 주 일별 검색 횟수",
     {"kind": "B", "window": {"type": "named", "name": "this_week"},
      "aggregate": {"metric": "events", "event": {"event": "search"}, "group_by": ["day"]}}),
    ("상품 2를 찜한 사람 목록",
     {"kind": "A", "audience": {"event": "wishlist_add", "filters": {"product_id": ["2"]}}}),
    ("지난달 상품 4를 두 번 이상 구매한 고객",
     {"kind": "A", "window": {"type": "named", "name": "last_month"},
      "audience": {"event": "order_complete", "filters": {"product_id": ["4"]}, "count": {"value": 2}}}),
    ("최근 30일 동안 장바구니에 담고 구매하지 않은 고객",
     {"kind": "A", "window": {"type": "last_n", "n": 30, "unit": "day"},
      "audience": {"op": "and", "items": [{"event": "cart_add"}, {"item": {"event": "order_complete"}}]}}),
    ("오늘 메인 페이지 방문자 수",
     {"kind": "B", "window": {"type": "named", "name": "today"},
      "aggregate": {"metric": "visitors", "event": {"event": "main_view"}}}),
    ("2025-07-01~2025-07-31 상품별 주문 수",
     {"kind": "B", "window": {"type": "absolute", "start": "2025-07-01", "end": "2025-07-31"},
      "aggregate": {"metric": "orders", "group_by": ["product"]}}),
    ("지난주 매출이 가장 높은 상품 3개",
     {"kind": "B", "window": {"type": "named", "name": "last_week"},
      "aggregate": {"metric": "revenue", "group_by": ["product"], "top_n": 3}}),
    ("리뷰를 남긴 고객 수",
     {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "review_write"}}}),
    ("회원가입한 사람 중 구매한 비율",
     {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "order_complete"},
                                 "denominator": {"event": "signup"}}}),
    ("카테고리 2를 본 뒤 10분 안에 상품 5를 본 사람",
     {"kind": "A", "audience": {"steps": [{"event": "category_view", "filters": {"category_id": ["2"]}},
                                          {"event": "product_view", "filters": {"product_id": ["5"]}}],
                                "within": {"value": 10, "unit": "minute"}}}),
    ("people who searched for bag last month",
     {"kind": "A", "window": {"type": "named", "name": "last_month"},
      "audience": {"event": "search", "filters": {"keyword": ["bag"]}}}),
    ("how many visitors added to cart today",
     {"kind": "B", "window": {"type": "named", "name": "today"},
      "aggregate": {"metric": "visitors", "event": {"event": "cart_add"}}}),
    ("average order value last month",
     {"kind": "B", "window": {"type": "named", "name": "last_month"}, "aggregate": {"metric": "aov"}}),
    ("customers who viewed product 9 exactly 3 times",
     {"kind": "A", "audience": {"event": "product_view", "filters": {"product_id": ["9"]},
                                "count": {"op": "=", "value": 3}}}),
    ("daily revenue in the last 14 days",
     {"kind": "B", "window": {"type": "last_n", "n": 14, "unit": "day"},
      "aggregate": {"metric": "revenue", "group_by": ["day"]}}),
    ("users who clicked a message yesterday",
     {"kind": "A", "window": {"type": "named", "name": "yesterday"}, "audience": {"event": "message_click"}}),
    ("성별별 매출", {"kind": "C"}),
    ("다음 달 매출 예측해줘", {"kind": "C"}),
]


# A second held-out set, written after the first was absorbed: 17/20 exact, 2 refused, 1 wrong
# ('at least 3 times' read as 3 won) on first contact; fixed since.
HELD_OUT_2 = [
    ("최근 10일 동안 상품 12를 본 사람",
     {"kind": "A", "window": {"type": "last_n", "n": 10, "unit": "day"},
      "audience": {"event": "product_view", "filters": {"product_id": ["12"]}}}),
    ("어제 검색한 사람 수",
     {"kind": "B", "window": {"type": "named", "name": "yesterday"}, "aggregate": {"metric": "visitors", "event": {"event": "search"}}}),
    ("이번 달 상품 7 주문 수",
     {"kind": "B", "window": {"type": "named", "name": "this_month"},
      "aggregate": {"metric": "orders", "event": {"event": "order_complete", "filters": {"product_id": ["7"]}}}}),
    ("지난주 카테고리별 조회수",
     {"kind": "B", "window": {"type": "named", "name": "last_week"},
      "aggregate": {"metric": "events", "event": {"event": "category_view"}, "group_by": ["category"]}}),
    ("관심상품에 담았지만 구매하지 않은 고객",
     {"kind": "A", "audience": {"op": "and", "items": [{"event": "wishlist_add"}, {"item": {"event": "order_complete"}}]}}),
    ("최근 30일 리뷰를 두 번 이상 쓴 사람",
     {"kind": "A", "window": {"type": "last_n", "n": 30, "unit": "day"},
      "audience": {"event": "review_write", "count": {"value": 2}}}),
    ("오늘 로그인한 사람 목록",
     {"kind": "A", "window": {"type": "named", "name": "today"}, "audience": {"event": "login"}}),
    ("지난주 일별 장바구니 담기 수",
     {"kind": "B", "window": {"type": "named", "name": "last_week"},
      "aggregate": {"metric": "events", "event": {"event": "cart_add"}, "group_by": ["day"]}}),
    ("최근 7일 가장 많이 주문된 상품 10개",
     {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"},
      "aggregate": {"metric": "orders", "event": {"event": "order_complete"}, "group_by": ["product"], "top_n": 10}}),
    ("메인 페이지를 본 사람 중 상품을 본 비율",
     {"kind": "B", "aggregate": {"metric": "ratio", "numerator": {"event": "product_view"},
                                 "denominator": {"event": "main_view"}}}),
    ("8월 3일 매출",
     {"kind": "B", "window": {"type": "absolute", "start": "2025-08-03", "end": "2025-08-03"}, "aggregate": {"metric": "revenue"}}),
    ("주문을 취소한 고객 수",
     {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "order_cancel"}}}),
    ("people who added product 4 to cart but never bought it",
     {"kind": "A", "audience": {"op": "and", "items": [{"event": "cart_add", "filters": {"product_id": ["4"]}},
                                                       {"item": {"event": "order_complete"}}]}}),
    ("visitors who viewed the main page yesterday",
     {"kind": "A", "window": {"type": "named", "name": "yesterday"}, "audience": {"event": "main_view"}}),
    ("total revenue last week",
     {"kind": "B", "window": {"type": "named", "name": "last_week"}, "aggregate": {"metric": "revenue"}}),
    ("how many people signed up this month",
     {"kind": "B", "window": {"type": "named", "name": "this_month"}, "aggregate": {"metric": "visitors", "event": {"event": "signup"}}}),
    ("top 3 categories by views last 14 days",
     {"kind": "B", "window": {"type": "last_n", "n": 14, "unit": "day"},
      "aggregate": {"metric": "events", "event": {"event": "category_view"}, "group_by": ["category"], "top_n": 3}}),
    ("customers who bought at least 3 times",
     {"kind": "A", "audience": {"event": "order_complete", "count": {"value": 3}}}),
    ("우리 가게 평점이 몇 점이야", {"kind": "C"}),
    ("직원들이 가장 많이 본 상품", {"kind": "C"}),
]


# A third set: 17/20 exact, 1 refused, 1 equivalent IR, 1 wrong ('구독자 수' counted events) on first
# contact; fixed since.
HELD_OUT_3 = [
    ("지난 3일간 장바구니에 상품 9를 담은 고객 리스트",
     {"kind": "A", "window": {"type": "last_n", "n": 3, "unit": "day"},
      "audience": {"event": "cart_add", "filters": {"product_id": ["9"]}}}),
    ("이번 주 결제 완료 건수",
     {"kind": "B", "window": {"type": "named", "name": "this_week"}, "aggregate": {"metric": "orders"}}),
    ("어제 하루 동안 상품 페이지를 본 방문자 수",
     {"kind": "B", "window": {"type": "named", "name": "yesterday"},
      "aggregate": {"metric": "visitors", "event": {"event": "product_view"}}}),
    ("최근 2주간 검색은 했는데 상품은 안 본 사람",
     {"kind": "A", "window": {"type": "last_n", "n": 2, "unit": "week"},
      "audience": {"op": "and", "items": [{"event": "search"}, {"item": {"event": "product_view"}}]}}),
    ("카테고리 4 조회한 사람 몇 명이야",
     {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "category_view", "filters": {"category_id": ["4"]}}}}),
    ("지난달 일별 방문자 수",
     {"kind": "B", "window": {"type": "named", "name": "last_month"}, "aggregate": {"metric": "visitors", "group_by": ["day"]}}),
    ("상품 11을 세 번 넘게 본 사람",
     {"kind": "A", "audience": {"event": "product_view", "filters": {"product_id": ["11"]}, "count": {"value": 4}}}),
    ("최근 7일 방문자 중 장바구니에 담은 사람 비율",
     {"kind": "B", "window": {"type": "last_n", "n": 7, "unit": "day"},
      "aggregate": {"metric": "ratio", "numerator": {"event": "cart_add"}}}),
    ("8월 한 달 매출",
     {"kind": "B", "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-09"}, "aggregate": {"metric": "revenue"}}),
    ("지난주 가장 많이 검색한 키워드 3개",
     {"kind": "B", "window": {"type": "named", "name": "last_week"},
      "aggregate": {"metric": "events", "event": {"event": "search"}, "group_by": ["keyword"], "top_n": 3}}),
    ("상품 5 구매자 목록",
     {"kind": "A", "audience": {"event": "order_complete", "filters": {"product_id": ["5"]}}}),
    ("푸시 구독자 수",
     {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "push_subscribe"}}}),
    ("who searched for 'linen' in the past 7 days",
     {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
      "audience": {"event": "search", "filters": {"keyword": ["linen"]}}}),
    ("count of product views by product last week",
     {"kind": "B", "window": {"type": "named", "name": "last_week"},
      "aggregate": {"metric": "events", "event": {"event": "product_view"}, "group_by": ["product"]}}),
    ("visitors who never viewed the main page",
     {"kind": "A", "audience": {"item": {"event": "main_view"}}}),
    ("orders per day this week",
     {"kind": "B", "window": {"type": "named", "name": "this_week"}, "aggregate": {"metric": "orders", "group_by": ["day"]}}),
    ("users who viewed product 2 and product 3",
     {"kind": "C"}),
    ("how many people visited today",
     {"kind": "B", "window": {"type": "named", "name": "today"}, "aggregate": {"metric": "visitors"}}),
    ("VIP 고객 목록", {"kind": "C"}),
    ("상품 3을 본 사람의 평균 나이", {"kind": "C"}),
]


@pytest.mark.parametrize("question,expected", CASES, ids=[q for q, _ in CASES])
def test_known_phrasings(question, expected):
    assert _ir(parse(question, today=TODAY)) == expected


@pytest.mark.parametrize("question,expected", HELD_OUT + HELD_OUT_2 + HELD_OUT_3,
                         ids=[q for q, _ in HELD_OUT + HELD_OUT_2 + HELD_OUT_3])
def test_held_out_phrasings_are_right_or_refused(question, expected):
    got = _ir(parse(question, today=TODAY))
    assert got == expected or got == {"kind": "C"}, got


def test_held_out_mostly_answered():
    answered = sum(_ir(parse(q, today=TODAY)) == e for q, e in HELD_OUT)
    assert answered >= 0.7 * len(HELD_OUT)


@pytest.mark.parametrize("question", ["", "   ", "가" * 501, "x" * 5000])
def test_empty_or_overlong_is_c_with_korean_reason(question):
    q = parse(question, today=TODAY)
    assert q.kind == "C" and q.reason and any("가" <= ch <= "힣" for ch in q.reason)


@pytest.mark.parametrize("question", [
    "고객들의 연령대별 구매 비율", "여성 고객 중 구매한 사람", "서울 사는 고객", "비 오는 날 매출",
    "다음 주에 구매할 사람", "인기 상품", "best selling products", "지난주와 이번 주 매출 비교",
    "DROP TABLE event", "상품 3을 본 사람; DELETE FROM event", "마진이 높은 상품", "자주 오는 고객",
    "상품 3을 조회한 사람의 취미", "고양이", "asdf qwer", "상품을 본 사람 중 몇 명이 행복했어",
    "2월 30일 주문 수", "최근 7일 동안 엄청 많이 산 사람",
])
def test_unsupported_or_unclear_is_c_never_a_guess(question):
    q = parse(question, today=TODAY)
    assert q.kind == "C", q
    assert q.reason and q.suggestion


def test_unknown_word_is_named_in_the_reason():
    q = parse("상품 3을 조회한 사람의 취미", today=TODAY)
    assert "취미" in q.reason


def test_relative_dates_resolve_against_today():
    from insights.query.window import resolve
    cases = {"오늘": ("2025-08-09", "2025-08-09"), "어제": ("2025-08-08", "2025-08-08"),
             "지난주": ("2025-07-28", "2025-08-03"), "이번 주": ("2025-08-04", "2025-08-09"),
             "이번 달": ("2025-08-01", "2025-08-09"), "지난달": ("2025-07-01", "2025-07-31"),
             "최근 14일": ("2025-07-26", "2025-08-09"), "8월 1일부터 8일까지": ("2025-08-01", "2025-08-08"),
             "2025-08-01~2025-08-08": ("2025-08-01", "2025-08-08"), "8/1~8/8": ("2025-08-01", "2025-08-08"),
             "2025.08.03": ("2025-08-03", "2025-08-03"), "12월 24일": ("2024-12-24", "2024-12-24")}
    for words, (start, end) in cases.items():
        q = parse(f"{words} 주문 수", today=TODAY)
        assert q.kind == "B", words
        w = resolve(q.window, today=TODAY, tz="Asia/Seoul")
        assert (w.start.isoformat(), w.end.isoformat()) == (start, end), words


def test_offline_engine_is_the_parser():
    q = OfflineEngine().to_query("어제 매출", today=TODAY, timezone="Asia/Seoul", context={})
    assert q.kind == "B" and q.aggregate.metric == "revenue"


def test_parse_is_fast():
    import time
    qs = [q for q, _ in CASES]
    t = time.perf_counter()
    for q in qs:
        parse(q, today=TODAY)
    per = (time.perf_counter() - t) / len(qs)
    assert per < 0.02  # ~1 ms typical; generous for a loaded CI box
