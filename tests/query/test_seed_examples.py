"""The seed's two example queries (seeds/000-untitle.md) and our compiled IR give the same numbers.

The seed SQL runs verbatim except ``client_id = 1`` -> our test client id. Note on the seed:
ClickHouse reads ``toDateTime('2025-08-01 00:00:00', 9)`` as DateTime64 with precision 9 in
the server timezone (UTC) — the ``9`` is NOT +9 hours — so its windows are UTC days, while ours
are local (Asia/Seoul) days per DESIGN.md §5. The data sits where both readings agree, plus
decoys outside both, so the comparison is about counting semantics, not the seed's date slip.
"""
from datetime import date, timedelta

import pytest

from insights.query import ir
from insights.query.compiler import compile_query

from .conftest import ev, insert, utc, visitor

# Own tenants: the generated traffic of other modules shares this chDB and these dates.
SHOP, OTHER = 920_001, 920_002

SEED_Q1 = """SELECT uuid -- 조건의 맞는 사용자 ID 조회
FROM event
WHERE client_id = 1 -- 어느 쇼핑몰인지
  AND event_type = 82 -- 어느 이벤트인지 (상품 조회 시작)
  AND product_id = '3' -- 어느 상품인지
  AND created_at >= toDateTime('2025-08-01 00:00:00', 9) -- 조회 시작 기간
  AND created_at <= toDateTime('2025-08-08 23:59:59', 9) -- 조회 종료 기간
GROUP BY uuid -- 같은 세션으로
HAVING count() >= 2 -- 이 행동을 2번이상 한지"""

SEED_Q2_NUM = """SELECT count(DISTINCT uuid) -- 중복된 이벤트 제거
FROM event
WHERE client_id = 1 -- 어느 쇼핑몰인지
  AND event_type = 31 -- 어느 이벤트인지 (메인 페이지 조회 시작)
  AND created_at >= toDateTime('2025-08-07 15:00:00', 'UTC') -- 조회 시작 기간
  AND created_at <= toDateTime('2025-08-08 14:59:59', 'UTC')"""

SEED_Q2_DEN = """SELECT count(DISTINCT uuid) -- 중복된 이벤트 제거
FROM event
WHERE client_id = 1 -- 어느 쇼핑몰인지
  AND created_at >= toDateTime('2025-08-08 00:00:00', 9) -- 조회 시작 기간
  AND created_at <= toDateTime('2025-08-08 23:59:59', 9)"""

BASE = 1000  # visitor numbers of this module


def _ours(sql: str, client: int) -> str:
    return sql.replace("client_id = 1 ", f"client_id = {client} ")


@pytest.fixture(scope="module")
def seed_data(ch):
    rows = []
    for client in (SHOP, OTHER):
        # Q1: visitor k views product 3 k times (k = 0..5) inside the window; each view is a
        # start/end pair, and everyone also views product 4 three times.
        for k in range(6):
            who = BASE + k
            for i in range(k):
                t = utc(2025, 8, 1 + i, 3, 10 * k)
                rows.append(ev(client, who, 82, t, product_id="3", category_id="1"))
                rows.append(ev(client, who, 83, t + timedelta(seconds=30), product_id="3", category_id="1"))
            for i in range(3):
                rows.append(ev(client, who, 82, utc(2025, 8, 2, 5, i), product_id="4"))
        # Decoys outside both windows: views that must not count.
        rows.append(ev(client, BASE + 1, 82, utc(2025, 7, 20, 3), product_id="3"))
        rows.append(ev(client, BASE + 1, 82, utc(2025, 8, 20, 3), product_id="3"))
        # Q2: 11 visitors active on 2025-08-08 (local), 10 of them view the main page.
        for j in range(11):
            who = BASE + 100 + j
            rows.append(ev(client, who, 1, utc(2025, 8, 8, 1, j), page_url="/"))
            if j < 10:
                rows.append(ev(client, who, 31, utc(2025, 8, 8, 2, j), page_url="/"))
                rows.append(ev(client, who, 32, utc(2025, 8, 8, 2, j, 40), page_url="/"))
    # The other shop has more of everything: any leak changes the numbers.
    for j in range(5):
        rows.append(ev(OTHER, BASE + 200 + j, 82, utc(2025, 8, 3, 1, j), product_id="3"))
        rows.append(ev(OTHER, BASE + 200 + j, 82, utc(2025, 8, 3, 2, j), product_id="3"))
        rows.append(ev(OTHER, BASE + 200 + j, 92, utc(2025, 8, 8, 3, j), page_url="/x"))
    insert(ch, rows)


def test_seed_audience_product_3_viewed_twice(seed_data, run):
    seed = {r[0] for r in run(_ours(SEED_Q1, SHOP), {}).rows}
    q = ir.Query(kind="A", window=ir.Window(type="absolute", start=date(2025, 8, 1), end=date(2025, 8, 8)),
                 audience=ir.EventCondition(event="product_view", filters=ir.EventFilters(product_id=["3"]),
                                            count=ir.Count(op=">=", value=2)))
    c = compile_query(q, client_id=SHOP, timezone="Asia/Seoul", today=date(2025, 8, 9))
    ours = run(c.sql, c.params)
    assert ours.columns == ["uuid", "member_id"]
    assert {r[0] for r in ours.rows} == seed == {visitor(BASE + k, SHOP) for k in range(2, 6)}


def test_seed_ratio_main_page_viewers_among_visitors(seed_data, run):
    num = run(_ours(SEED_Q2_NUM, SHOP), {}).rows[0][0]
    den = run(_ours(SEED_Q2_DEN, SHOP), {}).rows[0][0]
    assert (num, den) == (10, 11)
    q = ir.Query(kind="B", window=ir.Window(type="named", name="yesterday"),
                 aggregate=ir.Aggregate(metric="ratio", numerator=ir.EventCondition(event="main_view")))
    c = compile_query(q, client_id=SHOP, timezone="Asia/Seoul", today=date(2025, 8, 9))
    res = run(c.sql, c.params)
    assert res.columns == ["numerator", "denominator", "ratio"]
    assert res.rows == [(num, den, pytest.approx(0.9091, abs=1e-4))]
    assert round(100 * num / den, 1) == 90.9


def test_other_client_sees_its_own_numbers(seed_data, run):
    q = ir.Query(kind="A", window=ir.Window(type="absolute", start=date(2025, 8, 1), end=date(2025, 8, 8)),
                 audience=ir.EventCondition(event="product_view", filters=ir.EventFilters(product_id=["3"]),
                                            count=ir.Count(op=">=", value=2)))
    c = compile_query(q, client_id=OTHER, timezone="Asia/Seoul", today=date(2025, 8, 9))
    got = {r[0] for r in run(c.sql, c.params).rows}
    assert got == {visitor(BASE + k, OTHER) for k in range(2, 6)} | {visitor(BASE + 200 + j, OTHER) for j in range(5)}
    assert not any(u.int >> 64 == SHOP for u in got)
