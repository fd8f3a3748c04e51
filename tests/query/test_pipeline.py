"""Question -> answer end to end on real chDB with the offline engine: rows, window, one Korean
sentence, kind C for what cannot be answered, truncation of large audiences."""
import subprocess
import sys
from datetime import date

import pytest

from insights.query import ir
from insights.query.pipeline import OfflineEngine, answer

from .conftest import ev, insert, utc, visitor

SHOP, OTHER = 930_001, 930_002
TODAY = date(2025, 8, 9)
TZ = "Asia/Seoul"


@pytest.fixture(scope="module")
def shop_data(ch):
    rows = []
    for client in (SHOP, OTHER):
        for k in range(6):  # visitor k views product 3 k times between 08-01 and 08-06 (local)
            for i in range(k):
                rows.append(ev(client, k, 82, utc(2025, 8, 1 + i, 3), product_id="3"))
                rows.append(ev(client, k, 83, utc(2025, 8, 1 + i, 3, 1), product_id="3"))
        for j in range(11):  # 11 visitors on 08-08, 10 saw the main page
            rows.append(ev(client, 100 + j, 1, utc(2025, 8, 8, 1, j)))
            if j < 10:
                rows.append(ev(client, 100 + j, 31, utc(2025, 8, 8, 2, j), page_url="/"))
        # orders: two on 08-03 (local), one on 08-05
        rows.append(ev(client, 3, 62, utc(2025, 8, 3, 5), order_id=f"{client}-1", amount=30_000, product_id="3"))
        rows.append(ev(client, 3, 62, utc(2025, 8, 3, 5), order_id=f"{client}-1", amount=10_000, product_id="4"))
        rows.append(ev(client, 4, 62, utc(2025, 8, 3, 6), order_id=f"{client}-2", amount=20_000, product_id="3"))
        rows.append(ev(client, 5, 62, utc(2025, 8, 5, 6), order_id=f"{client}-3", amount=50_000, product_id="5"))
        rows.append(ev(client, 4, 10, utc(2025, 8, 3, 7), login_id=f"member-{client}-4"))
    insert(ch, rows)


def ask(question, run, client=SHOP, **kw):
    return answer(question, client_id=client, timezone=TZ, today=TODAY, engine=OfflineEngine(), run=run, **kw)


def test_audience_answer_has_rows_window_member_ids_and_sentence(shop_data, run):
    a = ask("8월 1일부터 8일까지 상품 3을 두 번 이상 조회한 사람", run)
    assert a.kind == "A" and a.engine == "offline"
    assert a.columns == ["uuid", "member_id"]
    assert {r[0] for r in a.rows} == {visitor(k, SHOP) for k in (2, 3, 4, 5)}
    assert dict(a.rows)[visitor(4, SHOP)] == f"member-{SHOP}-4"
    assert (a.window.start, a.window.end) == (date(2025, 8, 1), date(2025, 8, 8))
    assert a.summary == ("2025-08-01~2025-08-08 상품 3을 2회 이상 조회한 방문자는 4명, "
                         "그중 회원 ID가 확인된 사람은 1명입니다.")
    assert a.ir["audience"]["filters"]["product_id"] == ["3"]
    assert "{client_id:Int32}" in a.sql and a.params["client_id"] == SHOP


def test_ratio_sentence_matches_the_seed_example(shop_data, run):
    a = ask("어제 방문자 중 메인 페이지를 조회한 비율", run)
    assert a.kind == "B" and a.rows == [(10, 11, pytest.approx(0.9091, abs=1e-4))]
    assert a.summary == "어제 방문자 중 90.9%(10명/11명)가 메인 페이지를 조회했습니다."


def test_aggregates_read_in_korean(shop_data, run):
    a = ask("8월 1일부터 8일까지 일별 주문 수", run)
    assert a.rows[2] == (date(2025, 8, 3), 2) and len(a.rows) == 8  # empty days are 0
    assert a.summary == "2025-08-01~2025-08-08 일별 주문 수 합계는 3건이며, 가장 많은 날은 2025-08-03(2건)입니다."
    a = ask("8월 1일부터 8일까지 매출", run)
    assert a.rows == [(110_000,)] and a.summary == "2025-08-01~2025-08-08 매출은 110,000원입니다."
    a = ask("2025-08-01~2025-08-08 상품별 매출", run)
    assert a.rows[0] == ("3", 50_000)
    assert a.summary == "2025-08-01~2025-08-08 매출이 가장 많은 상품은 상품 3(50,000원)입니다."


def test_tenants_never_see_each_other(shop_data, run):
    mine = ask("8월 1일부터 8일까지 상품 3을 한 번 이상 조회한 사람", run)
    theirs = ask("8월 1일부터 8일까지 상품 3을 한 번 이상 조회한 사람", run, client=OTHER)
    assert {r[0] for r in mine.rows}.isdisjoint({r[0] for r in theirs.rows})
    assert all(u.int >> 64 == SHOP for u, _ in mine.rows)


def test_large_audience_is_capped_and_flagged(shop_data, run):
    a = ask("8월 1일부터 8일까지 상품 3을 조회한 사람", run, limit=2)
    assert len(a.rows) == 2 and a.truncated
    assert "이상(처음 2명만 표시)" in a.summary


@pytest.mark.parametrize("question", ["", "나이가 30대인 고객", "가" * 2000])
def test_cannot_answer_runs_nothing(question):
    def run(sql, params):
        raise AssertionError("nothing may run for kind C")
    a = answer(question, client_id=SHOP, timezone=TZ, today=TODAY, engine=OfflineEngine(), run=run)
    assert a.kind == "C" and a.sql == "" and a.rows == [] and a.reason and a.summary == a.reason


def test_engine_with_invalid_ir_becomes_c():
    class Broken:
        name = "broken"

        def to_query(self, question, **kw):
            return ir.Query.model_validate({"kind": "A"})  # no audience: invalid

    a = answer("x", client_id=SHOP, timezone=TZ, today=TODAY, engine=Broken(), run=lambda s, p: None)
    assert a.kind == "C" and "조건" in a.reason


def test_pipeline_and_ir_import_no_django():
    code = ("import sys; import insights.query.pipeline, insights.query.ir, insights.query.compiler; "
            "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_unavailable_engine_falls_back_to_offline(shop_data, run):
    class EngineUnavailable(RuntimeError):
        message = "Gemini 응답 시간이 초과되었습니다."

    class Down:
        name = "gemini"

        def to_query(self, question, **kw):
            raise EngineUnavailable("timeout")

    a = answer("어제 방문자 중 메인 페이지를 조회한 비율", client_id=SHOP, timezone=TZ, today=TODAY,
               engine=Down(), run=run)
    assert a.engine == "offline" and a.kind == "B" and a.rows[0][:2] == (10, 11)
    assert a.fallback_reason == "Gemini 응답 시간이 초과되었습니다."


def test_other_engine_errors_are_not_swallowed():
    class Bug:
        name = "x"

        def to_query(self, question, **kw):
            raise KeyError("bug")

    with pytest.raises(KeyError):
        answer("q", client_id=SHOP, timezone=TZ, today=TODAY, engine=Bug(), run=lambda s, p: None)


def test_orders_are_counted_whole_not_by_line(shop_data, run):
    # visitor 3: one order of two lines (30,000 + 10,000); visitor 4: 20,000; visitor 5: 50,000
    a = ask("8월 1일부터 8일까지 한 번에 4만원 이상 주문한 고객", run)
    assert {r[0] for r in a.rows} == {visitor(3, SHOP), visitor(5, SHOP)}
    assert a.summary.startswith("2025-08-01~2025-08-08 주문 합계 40,000원 이상 구매한 방문자는 2명")
    a = ask("8월 1일부터 8일까지 2번 이상 주문한 고객", run)
    assert a.rows == [] and a.kind == "A"
