"""The Gemini prompt's client vocabulary comes from the client's own recent events only."""
from datetime import date, timedelta

from insights.query.llm import build_prompt, client_context
from tests.query.conftest import OTHER, SHOP, ev, insert, utc

NOW = utc(2031, 3, 10, 12, 0)  # a period no other test writes to


def test_context_lists_the_clients_own_ids_most_used_first(ch, run):
    rows = [ev(SHOP, n, 82, NOW - timedelta(days=1), product_id="ctx-7") for n in range(3)]
    rows += [ev(SHOP, 9, 82, NOW - timedelta(days=2), product_id="ctx-3")]
    rows += [ev(SHOP, 9, 20, NOW - timedelta(days=2), keyword="린넨 셔츠")]
    rows += [ev(SHOP, 9, 102, NOW - timedelta(days=3), tracking_id="ctx-cmp")]
    rows += [ev(SHOP, 9, 82, NOW - timedelta(days=45), product_id="ctx-old")]       # too old
    rows += [ev(OTHER, n, 82, NOW - timedelta(days=1), product_id="ctx-secret") for n in range(9)]
    insert(ch, rows)

    ctx = client_context(run, client_id=SHOP, now_utc=NOW)
    assert ctx["products"][:2] == ["ctx-7", "ctx-3"]
    assert "ctx-old" not in ctx["products"] and "ctx-secret" not in ctx["products"]
    assert ctx["keywords"] == ["린넨 셔츠"] and ctx["tracking_ids"] == ["ctx-cmp"]

    prompt = build_prompt("cmp 메시지 클릭한 사람", today=date(2031, 3, 10), timezone="Asia/Seoul", context=ctx)
    assert "ctx-7" in prompt and "ctx-cmp" in prompt and "ctx-secret" not in prompt


def test_a_client_without_events_has_an_empty_context(ch, run):
    assert client_context(run, client_id=987_654, now_utc=NOW) == {}
