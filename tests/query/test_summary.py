"""The one-sentence Korean answer: right particles, the window, the numbers as computed."""
from datetime import date

import pytest

from insights.query import ir
from insights.query.compiler import compile_query
from insights.query.summary import describe, josa, summarize

TODAY = date(2025, 8, 9)


def E(event, **kw):
    count = kw.pop("count", None)
    return ir.EventCondition(event=event, filters=ir.EventFilters(**kw), **({"count": ir.Count(**count)} if count else {}))


def S(q, columns, rows, **kw):
    return summarize(q, compile_query(q, client_id=1, timezone="Asia/Seoul", today=TODAY), columns, rows, **kw)


@pytest.mark.parametrize("word,pair,want", [
    ("상품 3", "을/를", "상품 3을"), ("상품 2", "을/를", "상품 2를"), ("메인 페이지", "을/를", "메인 페이지를"),
    ("리뷰", "을/를", "리뷰를"), ("주문", "이/가", "주문이"), ("'원피스'", "을/를", "'원피스'를"),
])
def test_particles_follow_the_last_syllable(word, pair, want):
    assert josa(word, pair) == want


def test_condition_trees_read_as_korean():
    tree = ir.Group(op="and", items=[E("cart_add", product_id=["3"]), ir.Not(item=E("order_complete"))])
    assert describe(tree) == "장바구니에 상품 3을 담고 구매하지 않은"
    assert describe(E("product_view", product_id=["3"], count={"op": ">=", "value": 2})) == "상품 3을 2회 이상 조회한"
    seq = ir.SequenceCondition(steps=[ir.EventStep(event="search", filters=ir.EventFilters(keyword=["원피스"])),
                                      ir.EventStep(event="cart_add")], within=ir.Duration(value=1, unit="hour"))
    assert describe(seq) == "'원피스'를 검색한 뒤 1시간 이내에 장바구니에 담은"
    assert describe(ir.Group(op="or", items=[E("wishlist_add"), E("review_write")])) == "관심상품에 담았거나 리뷰를 작성한"


def test_sentences_state_window_and_numbers():
    q = ir.Query(kind="B", window=ir.Window(type="last_n", n=7, unit="day"),
                 aggregate=ir.Aggregate(metric="ratio", numerator=E("main_view")))
    assert S(q, ["numerator", "denominator", "ratio"], [(10, 11, 0.9091)]) == \
        "최근 7일 방문자 중 90.9%(10명/11명)가 메인 페이지를 조회했습니다."
    assert "비율을 구할 수 없습니다" in S(q, ["numerator", "denominator", "ratio"], [(0, 0, 0)])
    q = ir.Query(kind="A", window=ir.Window(type="absolute", start=date(2025, 8, 1), end=date(2025, 8, 8)),
                 audience=E("product_view", product_id=["3"], count={"op": ">=", "value": 2}))
    assert S(q, ["uuid", "member_id"], [("u1", None)] * 12) == \
        "2025-08-01~2025-08-08 상품 3을 2회 이상 조회한 방문자는 12명입니다."
    assert S(q, ["uuid", "member_id"], []) == "2025-08-01~2025-08-08 상품 3을 2회 이상 조회한 방문자는 없습니다."
    q = ir.Query(kind="B", window=ir.Window(type="named", name="yesterday"),
                 aggregate=ir.Aggregate(metric="funnel", steps=[ir.EventStep(event="product_view"),
                                                                ir.EventStep(event="order_complete")]))
    assert S(q, ["step", "visitors", "conversion"], [(1, 200, 1.0), (2, 8, 0.04)]) == \
        "어제 상품 조회 → 구매 퍼널에서 첫 단계 200명 중 8명(4%)이 마지막 단계까지 갔습니다."
    q = ir.Query(kind="B", window=ir.Window(type="named", name="today"),
                 aggregate=ir.Aggregate(metric="visitors", group_by=["hour"]))
    assert S(q, ["hour", "visitors"], [("2025-08-09 10:00:00", 3), ("2025-08-09 21:00:00", 9)]) == \
        "오늘 시간대별 방문자 수가 가장 많은 시간대는 2025-08-09 21시(9명)입니다."
