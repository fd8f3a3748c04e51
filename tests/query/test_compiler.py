"""Compiled SQL on real chDB gives what the IR means (checked against a plain-Python reference),
only ever for the asked client, with every user value bound as a parameter."""
from collections import Counter
from datetime import date, timedelta

import pytest

from insights.query import ir
from insights.query.compiler import CompileError, compile_query
from insights.query.window import resolve

from .conftest import OTHER, SHOP, insert
from .data import as_columns, make_rows
from .reference import Reference

TODAY = date(2025, 8, 9)
TZ = "Asia/Seoul"


@pytest.fixture(scope="module")
def rows(ch):
    data = make_rows()
    insert(ch, as_columns(data))
    return data


def E(event, count=None, window=None, **filters):
    kw = {"event": event, "filters": ir.EventFilters(**filters)}
    if count:
        kw["count"] = ir.Count(**count)
    if window:
        kw["window"] = ir.Window(**window)
    return ir.EventCondition(**kw)


LAST14 = {"type": "last_n", "n": 14, "unit": "day"}
AUDIENCES = {
    "viewed product 3 twice": E("product_view", {"op": ">=", "value": 2}, product_id=["3"]),
    "viewed exactly once": E("product_view", {"op": "=", "value": 1}),
    "viewed 2-3 times": E("product_view", {"op": "between", "value": 2, "value2": 3}),
    "viewed at most 2": E("product_view", {"op": "<=", "value": 2}, category_id=["1", "2"]),
    "cart but not buy": ir.Group(op="and", items=[E("cart_add"), ir.Not(item=E("order_complete"))]),
    "never bought": ir.Not(item=E("order_complete")),
    "searched or wished": ir.Group(op="or", items=[E("search", keyword=["원피스"]), E("wishlist_add")]),
    "nested": ir.Group(op="and", items=[
        ir.Group(op="or", items=[E("product_view", product_id=["1"]), E("product_view", product_id=["2"])]),
        ir.Not(item=ir.Group(op="or", items=[E("order_complete"), E("cart_remove")])),
        E("main_view")]),
    "keyword contains": E("search", keyword_contains="피스"),
    "big order lines": E("order_complete", amount=ir.Range(gte=45_000, lte=60_000)),
    "big orders": E("order_complete", order_total=ir.Range(gte=100_000)),
    "two orders": E("order_complete", {"op": ">=", "value": 2}),
    "one order of product 2": E("order_complete", {"op": "=", "value": 1}, product_id=["2"]),
    "own window": ir.Group(op="and", items=[E("order_complete", window=LAST14),
                                            ir.Not(item=E("main_view", window={"type": "named", "name": "this_week"}))]),
    "sequence": ir.SequenceCondition(steps=[ir.EventStep(event="product_view"), ir.EventStep(event="cart_add")],
                                     within=ir.Duration(value=12, unit="hour")),
    "sequence no limit": ir.SequenceCondition(steps=[ir.EventStep(event="search"), ir.EventStep(event="product_view"),
                                                     ir.EventStep(event="order_complete")]),
    "message click": E("message_click", tracking_id=["camp-a"]),
    "page url": E("page_view", page_url_contains="/event/"),
    "any action on a campaign": E("any_event", {"op": ">=", "value": 3}, utm_source=["instagram"]),
}


@pytest.mark.parametrize("name", list(AUDIENCES))
@pytest.mark.parametrize("window", [LAST14, {"type": "default"}, {"type": "absolute", "start": "2025-07-28", "end": "2025-08-03"}])
def test_audience_matches_reference(rows, run, name, window):
    q = ir.Query(kind="A", window=ir.Window(**window), audience=AUDIENCES[name])
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    got = run(c.sql, c.params)
    want = Reference(rows, SHOP, TZ, TODAY, q).node(q.audience)
    assert {r[0] for r in got.rows} == want
    assert all(u.int >> 64 == SHOP for u, _ in got.rows)


def test_audience_lists_member_ids_where_known(rows, run):
    q = ir.Query(kind="A", window=ir.Window(type="last_n", n=30, unit="day"), audience=E("product_view"))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    got = dict(run(c.sql, c.params).rows)
    logins = {}
    for r in sorted((r for r in rows if r["client_id"] == SHOP and r["event_type"] == 10), key=lambda r: r["created_at"]):
        logins[r["uuid"]] = r["login_id"]
    assert any(got.values())
    for u, member in got.items():
        assert member == logins.get(u)


def test_audience_limit_returns_one_extra_row_to_flag_truncation(rows, run):
    q = ir.Query(kind="A", audience=E("product_view"), window=ir.Window(type="last_n", n=30, unit="day"))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY, limit=5)
    assert len(run(c.sql, c.params).rows) == 6


def _ref_events(rows, q, code, client=SHOP, **flt):
    rw = resolve(q.window, today=TODAY, tz=TZ)
    return [r for r in rows if r["client_id"] == client and r["event_type"] == code
            and rw.start_utc <= r["created_at"] < rw.end_utc and all(str(r.get(k)) == v for k, v in flt.items())]


def test_aggregates_match_reference(rows, run):
    w = ir.Window(type="last_n", n=14, unit="day")
    def B(**agg):
        q = ir.Query(kind="B", window=w, aggregate=ir.Aggregate(**agg))
        c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
        return q, run(c.sql, c.params)

    q, got = B(metric="events", event=ir.EventStep(event="product_view", filters=ir.EventFilters(product_id=["3"])))
    assert got.rows == [(len(_ref_events(rows, q, 82, product_id="3")),)]
    q, got = B(metric="visitors", event=ir.EventStep(event="cart_add"))
    assert got.rows == [(len({r["uuid"] for r in _ref_events(rows, q, 41)}),)]
    orders = _ref_events(rows, q, 62)
    _, got = B(metric="orders")
    assert got.rows == [(len({r["order_id"] for r in orders}),)]
    _, got = B(metric="revenue")
    assert got.rows == [(sum(r["amount"] for r in orders),)]
    _, got = B(metric="aov")
    assert got.columns == ["orders", "revenue", "aov"]
    assert got.rows[0][2] == round(sum(r["amount"] for r in orders) / len({r["order_id"] for r in orders}))
    # a product breakdown, top 3 by views
    q, got = B(metric="events", event=ir.EventStep(event="product_view"), group_by=["product"], top_n=3)
    views = Counter(r["product_id"] for r in _ref_events(rows, q, 82))
    assert [v for _, v in got.rows] == sorted(views.values(), reverse=True)[:3]
    assert all(views[p] == v for p, v in got.rows)


def test_daily_series_uses_local_days_and_fills_gaps(ch, run):
    from .conftest import ev, utc
    # 23:30 UTC is 08:30 next day in Seoul: local-day bucketing must move it.
    insert(ch, [ev(SHOP, 777_001, 62, utc(2025, 6, 1, 23, 30), order_id="d1", amount=1000, product_id="1"),
                ev(SHOP, 777_001, 62, utc(2025, 6, 3, 1, 0), order_id="d2", amount=2000, product_id="1")])
    q = ir.Query(kind="B", window=ir.Window(type="absolute", start=date(2025, 6, 1), end=date(2025, 6, 4)),
                 aggregate=ir.Aggregate(metric="orders", group_by=["day"]))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    got = run(c.sql, c.params).rows
    assert got == [(date(2025, 6, 1), 0), (date(2025, 6, 2), 1), (date(2025, 6, 3), 1), (date(2025, 6, 4), 0)]
    q = q.model_copy(update={"aggregate": ir.Aggregate(metric="revenue", group_by=["hour"])})
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    assert run(c.sql, c.params).rows == [("2025-06-02 08:00:00", 1000), ("2025-06-03 10:00:00", 2000)]


def test_ratio_and_funnel_match_reference(rows, run):
    w = ir.Window(type="last_n", n=14, unit="day")
    q = ir.Query(kind="B", window=w, aggregate=ir.Aggregate(
        metric="ratio", numerator=E("order_complete"), denominator=E("cart_add")))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    ref = Reference(rows, SHOP, TZ, TODAY, q)
    den, num = ref.node(E("cart_add")), ref.node(E("order_complete"))
    assert run(c.sql, c.params).rows == [(len(den & num), len(den), pytest.approx(round(len(den & num) / len(den), 4)))]
    steps = [ir.EventStep(event="product_view"), ir.EventStep(event="cart_add"), ir.EventStep(event="order_complete")]
    q = ir.Query(kind="B", window=w, aggregate=ir.Aggregate(metric="funnel", steps=steps))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    got = run(c.sql, c.params).rows
    want = [len(ref.node(ir.SequenceCondition(steps=steps[:k]))) if k > 1 else len(ref.node(E("product_view")))
            for k in (1, 2, 3)]
    assert [r[1] for r in got] == want
    assert got[0][2] == 1.0


def test_user_values_are_bound_never_formatted(rows, run):
    evil = "x' OR 1=1 --"
    q = ir.Query(kind="A", audience=E("search", keyword=[evil]))
    c = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    assert evil not in c.sql and evil in c.params.values()
    assert run(c.sql, c.params).rows == []


def test_every_table_read_starts_with_the_client_predicate(rows):
    for name, node in AUDIENCES.items():
        c = compile_query(ir.Query(kind="A", audience=node), client_id=SHOP, timezone=TZ, today=TODAY)
        reads = c.sql.count("FROM event")
        assert reads == c.sql.count("FROM event WHERE client_id = {client_id:Int32}"), name
        assert c.params["client_id"] == SHOP and "NOT IN" not in c.sql


def test_other_client_gets_only_its_rows(rows, run):
    q = ir.Query(kind="A", window=ir.Window(**LAST14), audience=AUDIENCES["cart but not buy"])
    mine = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY)
    theirs = compile_query(q, client_id=OTHER, timezone=TZ, today=TODAY)
    a = {r[0] for r in run(mine.sql, mine.params).rows}
    b = {r[0] for r in run(theirs.sql, theirs.params).rows}
    assert a and b and not (a & b)
    assert b == Reference(rows, OTHER, TZ, TODAY, q).node(q.audience)


def test_default_window_is_today_minus_7_through_today_in_local_time():
    c = compile_query(ir.Query(kind="A", audience=E("main_view")), client_id=SHOP, timezone=TZ, today=TODAY)
    assert (c.window.start, c.window.end) == (TODAY - timedelta(days=7), TODAY)
    assert c.params["w_start"] == "2025-08-01 15:00:00.000000"
    assert c.params["w_end"] == "2025-08-09 15:00:00.000000"


def test_bad_inputs_are_refused_clearly():
    with pytest.raises(CompileError, match="시간대"):
        compile_query(ir.Query(kind="A", audience=E("main_view")), client_id=SHOP, timezone="Mars/Base", today=TODAY)
    with pytest.raises(CompileError):
        compile_query(ir.cannot_answer("x"), client_id=SHOP, timezone=TZ, today=TODAY)
    with pytest.raises(CompileError):
        compile_query(ir.Query(kind="A", audience=E("main_view")), client_id="1 OR 1=1", timezone=TZ, today=TODAY)


def test_windows_follow_the_clients_timezone_across_dst():
    q = ir.Query(kind="A", window=ir.Window(type="absolute", start=date(2025, 3, 9), end=date(2025, 3, 9)),
                 audience=E("main_view"))
    c = compile_query(q, client_id=SHOP, timezone="America/New_York", today=TODAY)
    # the day DST starts is 23 hours long: 05:00 UTC (EST) to 04:00 UTC next day (EDT)
    assert (c.params["w_start"], c.params["w_end"]) == ("2025-03-09 05:00:00.000000", "2025-03-10 04:00:00.000000")


def test_every_aggregate_read_starts_with_the_client_predicate():
    import re
    step = ir.EventStep(event="product_view", filters=ir.EventFilters(product_id=["3"]))
    aggs = [ir.Aggregate(metric="events", event=step, group_by=["day"]),
            ir.Aggregate(metric="visitors"), ir.Aggregate(metric="revenue", group_by=["product"], top_n=3),
            ir.Aggregate(metric="aov"), ir.Aggregate(metric="orders", group_by=["hour"]),
            ir.Aggregate(metric="ratio", numerator=AUDIENCES["nested"], denominator=E("search")),
            ir.Aggregate(metric="funnel", steps=[step, ir.EventStep(event="order_complete")])]
    for agg in aggs:
        for audience in (None, AUDIENCES["cart but not buy"]):
            q = ir.Query(kind="B", aggregate=agg, audience=audience)
            sql = compile_query(q, client_id=SHOP, timezone=TZ, today=TODAY).sql
            reads = len(re.findall(r"FROM event\b", sql))
            assert reads == len(re.findall(r"FROM event\s+WHERE client_id = \{client_id:Int32\}", sql)), sql
            assert "NOT IN" not in sql
