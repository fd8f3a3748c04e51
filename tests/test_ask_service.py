"""ask_question end to end on the real chDB: IR or question in, the §6 answer out, tenants apart."""
import uuid
from datetime import date

import pytest

from insights.ask import services
from insights.errors import AskError
from tests.ask_support import TODAY, bulk_views, daily_views_ir, local, product_viewers, put, viewers_ir

pytestmark = pytest.mark.django_db


def test_audience_from_rules_lists_exactly_this_shops_visitors_and_states_its_window(shop, other_shop):
    mine = product_viewers(shop, 3)
    product_viewers(other_shop, 4)  # same product in the other shop must never appear
    outside = uuid.uuid4()
    put(shop, outside, 82, local(date(2025, 7, 20)), product_id="3")  # before the window
    other_product = uuid.uuid4()
    put(shop, other_product, 82, local(date(2025, 8, 6)), product_id="9")

    ans = services.ask_question(client=shop, ir=viewers_ir("3"), today=TODAY)

    assert ans["kind"] == "A"
    assert ans["window"]["start"] == "2025-08-01" and ans["window"]["end"] == "2025-08-08"
    assert sorted(r[0] for r in ans["rows"]) == mine
    assert all(isinstance(r[0], str) for r in ans["rows"])  # uuids serialised for JSON
    assert ans["truncated"] is False
    assert ans["params"]["client_id"] == shop.pk
    assert "{client_id:Int32}" in ans["sql"]
    assert ans["engine"] == "rules"
    assert ans["summary"]


def test_member_id_comes_with_visitors_who_logged_in(shop):
    visitor = uuid.uuid4()
    put(shop, visitor, 82, local(date(2025, 8, 4)), product_id="3")
    put(shop, visitor, 10, local(date(2025, 8, 4), 13), login_id="kim01")
    ans = services.ask_question(client=shop, ir=viewers_ir("3"), today=TODAY)
    row = dict(zip(ans["columns"], ans["rows"][0]))
    assert row["uuid"] == str(visitor)
    assert row["member_id"] == "kim01"


def test_daily_series_counts_views_once_per_start_event(shop):
    product_viewers(shop, 2, day=date(2025, 8, 3))
    product_viewers(shop, 5, day=date(2025, 8, 6))
    ans = services.ask_question(client=shop, ir=daily_views_ir(), today=TODAY)
    assert ans["kind"] == "B"
    by_day = {str(r[0]): r[-1] for r in ans["rows"]}
    assert by_day["2025-08-03"] == 2 and by_day["2025-08-06"] == 5


def test_limit_cuts_the_audience_and_says_so(shop):
    product_viewers(shop, 5)
    ans = services.ask_question(client=shop, ir=viewers_ir("3"), today=TODAY, limit=3)
    assert len(ans["rows"]) == 3
    assert ans["truncated"] is True


@pytest.mark.parametrize("question, code", [("", "empty"), ("   \n ", "empty"), ("가" * 501, "too_long"),
                                            (None, "empty")])
def test_empty_or_overlong_question_is_refused_in_korean(shop, question, code):
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, question=question, engine="offline", today=TODAY)
    assert err.value.code == code and err.value.status == 400
    assert "질문" in err.value.message


def test_invalid_rules_are_refused_with_the_validation_problem(shop):
    bad = {"kind": "A", "audience": {"type": "event", "event": "product_view", "count": {"op": "between", "value": 3}}}
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, ir=bad, today=TODAY)
    assert err.value.code == "invalid_ir"
    assert err.value.message.startswith("규칙이 올바르지 않습니다")
    with pytest.raises(AskError):
        services.ask_question(client=shop, ir="{not json", today=TODAY)


def test_unknown_engine_and_gemini_without_key_are_clear_errors(shop, settings):
    settings.GEMINI_API_KEY = ""
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, question="최근 7일 방문자 수", engine="gpt", today=TODAY)
    assert "엔진" in err.value.message
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, question="최근 7일 방문자 수", engine="gemini", today=TODAY)
    assert "GEMINI_API_KEY" in err.value.message
    assert services.default_engine_name() == "offline"


def test_offline_question_answers_from_the_shops_data(shop, other_shop):
    mine = product_viewers(shop, 2)
    product_viewers(other_shop, 3)
    ans = services.ask_question(client=shop, question="최근 7일 동안 상품 3을 본 사람", engine="offline", today=TODAY)
    assert ans["kind"] == "A", ans
    assert sorted(r[0] for r in ans["rows"]) == mine
    assert ans["engine"] == "offline"
    assert (ans["window"]["start"], ans["window"]["end"]) == ("2025-08-01", "2025-08-08")


def test_question_outside_recorded_behaviour_is_kind_c_with_a_reason(shop):
    ans = services.ask_question(client=shop, question="내일 날씨 어때?", engine="offline", today=TODAY)
    assert ans["kind"] == "C"
    assert ans["rows"] == [] and ans["sql"] == ""
    assert ans["reason"] or ans["summary"]


def test_clickhouse_timeout_becomes_a_korean_message(shop, settings):
    bulk_views(shop, 400_000)
    settings.INSIGHTS_QUERY_SETTINGS = {"max_execution_time": 0.001, "timeout_overflow_mode": "throw"}
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, ir=daily_views_ir(), today=TODAY)
    assert err.value.code == "timeout"
    assert "시간 제한" in err.value.message


def test_memory_limit_becomes_a_korean_message(shop, settings):
    product_viewers(shop, 50)
    settings.INSIGHTS_QUERY_SETTINGS = {"max_memory_usage": 1000}
    with pytest.raises(AskError) as err:
        services.ask_question(client=shop, ir=daily_views_ir(), today=TODAY)
    assert err.value.code == "memory"
    assert "메모리" in err.value.message


def test_today_defaults_to_the_shops_local_date(shop):
    ans = services.ask_question(client=shop, ir=viewers_ir("3"))
    assert ans["window"]["end"] == shop.today().isoformat()


# --- Gemini, faked at the HTTP layer -----------------------------------------------------

GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent"


def gemini_body(payload: dict) -> dict:
    import json

    return {
        "candidates": [{"content": {"parts": [{"text": json.dumps(payload, ensure_ascii=False)}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 2841, "candidatesTokenCount": 61, "totalTokenCount": 3120},
        "modelVersion": "gemini-3.5-flash",
        "responseId": "mYCXaPqKDeC_1MkPy4qX4Ac",
    }


def test_gemini_answer_is_compiled_and_run(shop, other_shop, settings):
    import httpx
    import respx

    import json

    settings.GEMINI_API_KEY, settings.GEMINI_MODEL = "test-key", "gemini-3.5-flash"
    mine = product_viewers(shop, 2)
    product_viewers(shop, 1, product="77", day=shop.today())  # this week's vocabulary
    product_viewers(other_shop, 1, product="4242", day=other_shop.today())
    with respx.mock:
        route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=gemini_body(viewers_ir("3"))))
        ans = services.ask_question(client=shop, question="요즘 3번 상품 본 사람들", today=TODAY)
    assert route.called
    assert ans["engine"] == "gemini" and "engine_fallback" not in ans
    assert sorted(r[0] for r in ans["rows"]) == mine
    prompt = json.loads(route.calls[0].request.content)["contents"][0]["parts"][0]["text"]
    assert "상품 id: 77" in prompt and "4242" not in prompt  # the shop's own ids, never another's


def test_gemini_down_falls_back_to_the_offline_engine_and_says_so(shop, settings):
    import httpx
    import respx

    settings.GEMINI_API_KEY = "test-key"
    mine = product_viewers(shop, 2)
    with respx.mock:
        respx.post(GEMINI_URL).mock(return_value=httpx.Response(
            503, json={"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}))
        ans = services.ask_question(client=shop, question="최근 7일 동안 상품 3을 본 사람", today=TODAY)
    assert ans["engine"] == "offline"
    assert "Gemini" in ans["engine_fallback"]
    assert sorted(r[0] for r in ans["rows"]) == mine
