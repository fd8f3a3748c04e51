"""The ask evaluation harness: the set, the scoring, and ``manage.py eval_ask`` on real chDB."""
import json
from datetime import date, datetime, timezone
from uuid import UUID

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command
from django.test import override_settings

from events import clickhouse
from insights.eval import runner
from insights.eval.runner import Item, compare
from insights.query import ir, pipeline

TZ = "Asia/Seoul"
CID = -5151  # the harness stores its shop under a negative id; this test's own one


# --- the set --------------------------------------------------------------------------------

def test_the_set_has_enough_questions_of_every_kind():
    es = runner.load()
    kinds = [it.kind for it in es.items]
    assert len(kinds) >= 60
    assert kinds.count("A") >= 20 and kinds.count("B") >= 20 and kinds.count("C") >= 10
    assert sum(1 for it in es.items if it.question.isascii()) >= 5  # some English
    for it in es.items:
        if it.kind != "C":
            assert it.sql and it.window and it.window[0] <= it.window[1] <= es.today
            assert "$C" in it.sql or "{client_id:Int32}" in it.sql, it.id  # every reference is client-scoped


def test_the_held_out_set_is_well_formed_and_new():
    main = runner.load()
    held = runner.load(runner.QUESTIONS_FILE.with_name("questions_holdout.yaml"))
    assert len(held.items) >= 30 and {it.kind for it in held.items} == {"A", "B", "C"}
    assert held.today == main.today and held.dataset == main.dataset  # same shop, same answers' basis
    assert not {it.question for it in held.items} & {it.question for it in main.items}
    assert not {it.id for it in held.items} & {it.id for it in main.items}


def test_a_broken_set_is_refused(tmp_path):
    bad = tmp_path / "q.yaml"
    bad.write_text("today: 2025-08-10\ntimezone: Asia/Seoul\ndataset: {seed: 1, days: 1, visitors: 1, end: 2025-08-10}\n"
                   'questions:\n  - {id: x, q: "몇 명?", kind: B}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs sql and window"):
        runner.load(bad)


# --- scoring ------------------------------------------------------------------------------

U1, U2, U3 = (UUID(int=i) for i in (1, 2, 3))


def test_audiences_compare_as_sets_of_visitors():
    it = Item("a", "q", "A", compare="set")
    assert compare(it, [(U1,), (U2,)], ["uuid", "member_id"], [(U2, "m2"), (U1, None)], TZ)[0]
    ok, why = compare(it, [(U1,), (U2,)], ["uuid", "member_id"], [(U1, None), (U3, None)], TZ)
    assert not ok and "1 extra, 1 missing" in why


def test_values_match_in_any_column_order_with_tolerance_and_percent_ratios():
    ratio = Item("b", "q", "B", ratio=True)
    ref = [(0.841147,)]
    assert compare(ratio, ref, ["numerator", "denominator", "ratio"], [(1848, 2197, 0.8411)], TZ)[0]
    assert compare(ratio, ref, ["pct"], [(84.11,)], TZ)[0]
    assert not compare(ratio, ref, ["numerator", "denominator", "ratio"], [(1848, 2197, 0.8511)], TZ)[0]
    plain = Item("b", "q", "B")
    assert not compare(plain, [(0.5,)], ["pct"], [(50.0,)], TZ)[0]  # percent only for ratios
    assert compare(plain, [(None,)], ["revenue"], [(0,)], TZ)[0]     # sum over nothing


def test_breakdowns_match_whatever_the_time_type_and_ignore_filled_empty_days():
    it = Item("b", "q", "B")
    ref = [(date(2025, 8, 3), 10), (date(2025, 8, 4), 12)]
    # the compiler's toDate vs a naive UTC datetime from toStartOfDay(created_at, tz)
    got = [(12, datetime(2025, 8, 3, 15, 0)), (10, datetime(2025, 8, 2, 15, 0)), (0, datetime(2025, 8, 4, 15, 0))]
    assert compare(it, ref, ["visitors", "day"], got, TZ)[0]
    assert not compare(it, ref, ["day", "visitors"], [(date(2025, 8, 3), 10), (date(2025, 8, 4), 13)], TZ)[0]
    hour = [(datetime(2025, 8, 9, 14, 0, tzinfo=timezone.utc), 3)]
    assert compare(it, hour, ["hour", "n"], [("2025-08-09 23:00:00", 3)], TZ)[0]


def test_top_n_accepts_any_tie_break_but_not_a_wrong_ranking():
    it = Item("b", "q", "B", compare="topn", n=2)
    ranking = [("1", 30), ("2", 20), ("3", 20), ("4", 5)]
    assert compare(it, ranking, ["product", "events"], [("1", 30), ("3", 20)], TZ)[0]
    assert compare(it, ranking, ["product", "events"], [("1", 30), ("2", 20)], TZ)[0]
    assert not compare(it, ranking, ["product", "events"], [("1", 30), ("4", 5)], TZ)[0]
    assert not compare(it, ranking, ["product", "events"], [("1", 30), ("2", 21)], TZ)[0]
    assert not compare(it, ranking, ["product", "events"], [("1", 30)], TZ)[0]


# --- the whole loop on real chDB ---------------------------------------------------------------

class FixedEngine:
    """An engine that answers every question with one IR: it must score only where that IR is right."""
    name = "fixed"

    def __init__(self, query):
        self.query = query

    def to_query(self, question, **kwargs):
        return self.query


@pytest.fixture(scope="module")
def seeded():
    from events import ch_migrate

    ch_migrate.migrate()
    es = runner.load()
    ds = {**es.dataset, "visitors": 40}
    out = runner.seed_dataset(
        ds, client_id=CID, tz=es.timezone,
        insert_arrow=lambda t: clickhouse.insert_arrow("event", t),
        count=lambda: clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": CID}).rows[0][0],
        delete=lambda: clickhouse.command("ALTER TABLE event DELETE WHERE client_id = {c:Int32}", {"c": CID},
                                          settings_={"mutations_sync": 2}))
    assert out["events"] > 5000
    return es


def test_reference_queries_run_and_seeding_is_idempotent(seeded):
    again = runner.seed_dataset({**seeded.dataset, "visitors": 40}, client_id=CID, tz=seeded.timezone,
                                insert_arrow=lambda t: pytest.fail("seeded twice"),
                                count=lambda: clickhouse.query(
                                    "SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": CID}).rows[0][0],
                                delete=lambda: pytest.fail("deleted"))
    assert again["inserted"] == 0
    rows = runner.reference_rows(seeded.items, run=clickhouse.query, client_id=CID, tz=seeded.timezone)
    assert len(rows) == sum(1 for it in seeded.items if it.kind != "C")
    assert sum(1 for v in rows.values() if v) >= 0.8 * len(rows)  # references are not vacuous
    # and they never read another client: the same SQL for an empty client finds nobody
    empty = runner.reference_rows([it for it in seeded.items if it.kind == "A"], run=clickhouse.query,
                                  client_id=-999_999, tz=seeded.timezone)
    assert all(v == [] for v in empty.values())


def test_a_fixed_engine_scores_only_where_its_answer_is_right(seeded):
    b01 = ir.Query(kind="B", aggregate=ir.Aggregate(metric="visitors"))  # "최근 7일 방문자 수"
    rep = runner.evaluate(seeded, engine=FixedEngine(b01), answer=pipeline.answer, run=clickhouse.query,
                          client_id=CID, only={"b01", "b20", "a03", "c01"})
    by_id = {r.id: r for r in rep.results}
    assert by_id["b01"].ok and by_id["b01"].window_ok
    assert not by_id["b20"].ok and by_id["b20"].kind_ok        # right kind, wrong number
    assert not by_id["a03"].ok and not by_id["a03"].kind_ok
    assert not by_id["c01"].ok
    assert rep.execution_accuracy == 25.0 and rep.kind_accuracy == 50.0


def test_eval_ask_command_reports_offline_accuracy_as_json(seeded, capsys):
    call_command("eval_ask", "--engine", "offline", "--format", "json", "--visitors", "40",
                 "--client-id", str(CID), "--only", "a01,a03,b01,b05,c01,c04")
    out = json.loads(capsys.readouterr().out)
    rep = out["reports"][0]
    assert rep["engine"] == "offline" and rep["questions"] == 6
    assert 0 <= rep["execution_accuracy"] <= 100 and rep["latency_ms"]["p50"] > 0
    assert set(rep["by_kind"]) == {"A", "B", "C"}
    assert out["dataset"]["inserted"] == 0  # reused the module's data


@pytest.mark.parametrize("args,words", [
    (["--client-id", "7"], "음수"),
    (["--only", "zz9"], "알 수 없는 질문"),
    (["--engine", "gemini"], "GEMINI_API_KEY"),
    (["--visitors", "0"], "1 이상"),
    (["--days", "0"], "1 이상"),
    (["--seed", "-1"], "0 이상"),
    (["--end", "2025-13-01"], "YYYY-MM-DD"),
])
def test_eval_ask_bad_input_is_one_clear_error(args, words):
    with override_settings(GEMINI_API_KEY=""):
        with pytest.raises(CommandError, match=words):
            call_command("eval_ask", *args)


def test_eval_ask_fails_below_the_accuracy_floor(seeded):
    with pytest.raises(CommandError, match="execution accuracy"):
        call_command("eval_ask", "--engine", "offline", "--visitors", "40", "--client-id", str(CID),
                     "--only", "c01,b20", "--min-accuracy", "101")


def test_eval_ask_cleanup_removes_only_the_evaluation_shop(seeded, capsys):
    other = -6161
    call_command("eval_ask", "--engine", "offline", "--visitors", "5", "--client-id", str(other),
                 "--only", "b01", "--cleanup")
    count = "SELECT count() FROM event WHERE client_id = {c:Int32}"
    assert clickhouse.query(count, {"c": other}).rows == [(0,)]
    assert clickhouse.query(count, {"c": CID}).rows[0][0] > 5000


@respx.mock
def test_eval_ask_scores_gemini_through_its_http_api(seeded, capsys):
    answer = {"kind": "B", "window": {"type": "default"}, "aggregate": {"metric": "visitors"}}
    respx.post("https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent").mock(
        return_value=httpx.Response(200, json={
            "candidates": [{"content": {"parts": [{"text": json.dumps(answer)}], "role": "model"},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 2500, "candidatesTokenCount": 30, "totalTokenCount": 2530},
            "modelVersion": "gemini-3.5-flash"}))
    with override_settings(GEMINI_API_KEY="test-key", GEMINI_MODEL="gemini-3.5-flash"):
        call_command("eval_ask", "--engine", "gemini", "--format", "json", "--visitors", "40",
                     "--client-id", str(CID), "--only", "b01,b20")
    rep = json.loads(capsys.readouterr().out)["reports"][0]
    assert rep["engine"] == "gemini" and rep["execution_accuracy"] == 50.0
    assert rep["model_calls"] == 2 and rep["tokens"] == 2 * 2530  # what the questions cost
    assert [f["id"] for f in rep["failures"]] == ["b20"]


def test_a_capped_audience_counts_when_every_shown_visitor_is_right(seeded):
    a11 = next(it for it in seeded.items if it.id == "a11")  # every active non-buyer: a big audience
    never_bought = ir.Query(kind="A", audience=ir.Not(item=ir.EventCondition(event="order_complete")))
    rep = runner.evaluate(seeded, engine=FixedEngine(never_bought), answer=pipeline.answer, run=clickhouse.query,
                          client_id=CID, only={"a11"}, limit=5)
    assert rep.results[0].ok, rep.results[0].why
    viewers = ir.Query(kind="A", audience=ir.EventCondition(event="product_view"))  # buyers too
    rep = runner.evaluate(seeded, engine=FixedEngine(viewers), answer=pipeline.answer, run=clickhouse.query,
                          client_id=CID, only={"a11"}, limit=5000)
    assert not rep.results[0].ok
    ok, why = runner._truncated_ok(a11, [(U1,), (U2,)], ["uuid"], [(U1,)], 1, TZ)
    assert ok
    ok, why = runner._truncated_ok(a11, [(U1,), (U2,)], ["uuid"], [(U3,)], 1, TZ)
    assert not ok and "outside" in why


def test_the_guard_keeps_the_meaning_of_every_reference_query(seeded):
    """93 realistic hand-written queries: through the guard they answer exactly as before."""
    from insights.query.guard import guard_sql

    held = runner.load(runner.QUESTIONS_FILE.with_name("questions_holdout.yaml"))
    refs = [it for it in seeded.items + held.items if it.kind != "C"]
    assert len(refs) == 93
    for it in refs:
        sql = runner.reference_sql(it, seeded.timezone)
        direct = clickhouse.query(sql, {"client_id": CID}).rows
        guarded_sql, params = guard_sql(sql, client_id=CID, max_limit=100_000)
        guarded = clickhouse.query(guarded_sql, params).rows
        assert sorted(map(repr, guarded)) == sorted(map(repr, direct)), it.id
