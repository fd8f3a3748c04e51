"""The filter catalog and rule tree, without a database: every filter validates its parameters
with field errors, compiles to the IR and reads back from it; descriptions follow the rules;
contradictions and unavailable data are explained in Korean."""
import pytest

from insights.audience import filters as F
from insights.audience import rules as R
from insights.audience.describe import describe, describe_en
from insights.query import ir
from insights.query.compiler import compile_query
from insights.query.parser_ko import parse
from datetime import date

SAMPLES = {
    "viewed_category": {"category_ids": ["3"], "min_count": 2, "days": 14},
    "viewed_page": {"contains": "/event/", "days": 7},
    "searched": {"keywords": ["원피스"], "days": 30},
    "from_campaign": {"utm_campaign": ["summer_sale"], "days": 7},
    "total_spend": {"min_amount": 100000, "days": 90},
    "aov": {"min_amount": 30000, "max_amount": 80000, "days": 90},
    "order_once": {"min_amount": 100000, "days": 30},
    "bought_category": {"category_ids": ["2"], "days": 30},
    "device": {"device_types": ["mobile", "tablet"], "days": 7},
    "viewed_product": {"product_ids": ["1", "2"], "min_count": 2, "max_count": 5, "days": 14},
    "order_count": {"min_count": 2, "days": 180},
    "scroll_depth": {"min_percent": 70, "days": 7},
    "inactive": {"days": 30, "lookback": 120},
    "rfm_segment": {"segment": "champions"},
}
AVAILABLE = [s for s in F.SPECS if not s.unavailable]


def test_catalog_has_thirty_filters_in_four_categories():
    assert len(AVAILABLE) >= 30
    assert {s.category for s in F.SPECS} == set(F.CATEGORIES) and len(F.CATEGORIES) == 4
    assert len({s.key for s in F.SPECS}) == len(F.SPECS)
    for s in F.SPECS:
        assert s.label and any("가" <= ch <= "힣" for ch in s.label), s.key
        assert s.params.model_json_schema()["type"] == "object"


@pytest.mark.parametrize("spec", AVAILABLE, ids=lambda s: s.key)
def test_each_filter_compiles_reads_back_and_describes(spec):
    rules = {"op": "and", "items": [{"filter": spec.key, "params": SAMPLES.get(spec.key, {})}]}
    c = R.to_query(rules)
    sql = compile_query(c.query, client_id=7, timezone="Asia/Seoul", today=date(2025, 8, 8)).sql
    assert "client_id = {client_id:Int32}" in sql
    back = R.from_query(c.query)
    # the rules read back select the same IR (a filter may read back as its twin, e.g. "최근 구매"
    # as "주문 1회 이상"), and reading back is then a fixed point
    again = R.to_query(back)
    assert again.query == c.query
    assert R.from_query(again.query) == back
    text = describe(c.rules)
    assert spec.describe(spec.build(c.rules["items"][0]["params"])) in text
    assert describe_en(c.rules).startswith("Visitors matching")


def test_groups_and_not_round_trip():
    rules = {"op": "or", "items": [
        {"op": "and", "items": [{"filter": "cart_added", "params": {"days": 7}},
                                {"filter": "order_count", "params": {"days": 7}, "not": True}]},
        {"filter": "device", "params": {"device_types": ["mobile"], "days": 7}},
    ]}
    c = R.to_query(rules)
    text = describe(c.rules)
    assert text.startswith("다음 중 하나 이상에 해당하는 방문자") and "[제외] 최근 7일 주문 1회 이상" in text
    back = R.from_query(c.query)
    # "담았고 주문은 안 함" reads back as the one filter that says exactly that
    assert back["items"][0]["filter"] == "cart_no_order"
    assert R.to_query(back).query == c.query


@pytest.mark.parametrize("params, path, fragment", [
    ({"days": 999}, "items.0.params.days", "365 이하"),
    ({"days": 0}, "items.0.params.days", "1 이상"),
    ({"min_count": 5, "max_count": 2}, "items.0.params", "최대 횟수가 최소 횟수보다 작습니다"),
    ({"colour": "red"}, "items.0.params.colour", "이 필터에 없는 항목"),
])
def test_out_of_range_parameters_give_field_errors(params, path, fragment):
    with pytest.raises(R.RuleError) as e:
        R.to_query({"op": "and", "items": [{"filter": "viewed_product", "params": params}]})
    assert fragment in e.value.errors[path]


def test_unknown_filter_and_empty_rules():
    with pytest.raises(R.RuleError) as e:
        R.to_query({"op": "and", "items": [{"filter": "nope"}]})
    assert "알 수 없는 필터" in e.value.errors["items.0.filter"]
    with pytest.raises(R.RuleError) as e:
        R.to_query({"op": "and", "items": []})
    assert e.value.code == "empty" and "필터를 하나 이상" in e.value.message


@pytest.mark.parametrize("key, fragment", [("sms_consent", "Cafe24 연결"), ("email_consent", "Cafe24 연결"),
                                           ("rfm_segment", "RFM"), ("region", "지역")])
def test_filters_without_data_say_what_is_needed(key, fragment):
    with pytest.raises(R.RuleError) as e:
        R.to_query({"op": "and", "items": [{"filter": key, "params": SAMPLES.get(key, {})}]})
    assert e.value.code == "unavailable" and fragment in e.value.message


def test_contradictions_are_explained():
    c = R.to_query({"op": "and", "items": [
        {"filter": "order_count", "params": {"min_count": 5}},
        {"filter": "order_count", "params": {"min_count": 1, "max_count": 2}}]})
    assert any("횟수 범위가 겹치지 않습니다" in r for r in c.empty_reasons)
    c = R.to_query({"op": "and", "items": [
        {"filter": "cart_added", "params": {"days": 7}},
        {"filter": "cart_added", "params": {"days": 7}, "not": True}]})
    assert any("반대 조건" in r for r in c.empty_reasons)
    c = R.to_query({"op": "and", "items": [{"filter": "member"}, {"filter": "guest"}]})
    assert any("회원 조건과 비회원 조건" in r for r in c.empty_reasons)
    # the same filters under OR are fine
    c = R.to_query({"op": "or", "items": [
        {"filter": "order_count", "params": {"min_count": 5}},
        {"filter": "order_count", "params": {"min_count": 1, "max_count": 2}}]})
    assert c.empty_reasons == []


def test_a_sentence_fills_the_rules_and_the_rules_say_the_same():
    q = parse("최근 30일 장바구니에 담았지만 구매하지 않은 사람", today=date(2025, 8, 8))
    rules = R.from_query(q)
    c = R.to_query(rules)
    # the rules select exactly what the sentence asked
    sql_rules = compile_query(c.query, client_id=1, timezone="Asia/Seoul", today=date(2025, 8, 8))
    assert "41" in sql_rules.sql and "62" in sql_rules.sql
    assert "장바구니" in describe(c.rules) and ("주문하지 않음" in describe(c.rules) or "[제외]" in describe(c.rules))


def test_ir_no_filter_expresses_stays_as_a_raw_rule():
    q = ir.Query(kind="A", audience=ir.SequenceCondition(steps=[ir.EventStep(event="search"),
                                                                ir.EventStep(event="cart_add")]))
    rules = R.from_query(q)
    assert "raw" in rules["items"][0]
    c = R.to_query(rules)
    assert "검색 → 장바구니 담기" in describe(c.rules)
    assert R.from_query(c.query) == c.rules


def test_ir_hash_depends_on_client_day_and_rules():
    a = R.to_query({"op": "and", "items": [{"filter": "cart_added", "params": {"days": 7}}]}).query
    b = R.to_query({"op": "and", "items": [{"filter": "cart_added", "params": {"days": 8}}]}).query
    h = R.ir_hash(a, client_id=1, day="2025-08-08")
    assert h == R.ir_hash(a, client_id=1, day="2025-08-08")
    assert len({h, R.ir_hash(b, client_id=1, day="2025-08-08"), R.ir_hash(a, client_id=2, day="2025-08-08"),
                R.ir_hash(a, client_id=1, day="2025-08-09")}) == 4
