"""The Gemini engine, faked only at the HTTP layer: google-genai's real client builds the request.

Response bodies follow the Gemini REST shape (candidates[].content.parts[].text, finishReason,
usageMetadata, modelVersion, responseId) and its error envelope ({"error": {code, message, status}}).
"""
import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import respx

import jsonschema
import yaml

from gemini import response_schema
from insights.query import parser_ko
from insights.query.ir import Query
from insights.query.llm import EngineUnavailable, GeminiEngine, ModelOutputInvalid, build_prompt, schema_json
from tests.fakes import gemini as gemini_fake

MODEL = "gemini-3.5-flash"  # a model the deprecations page does not retire
URL = gemini_fake.url(MODEL)
TODAY = date(2025, 8, 9)

AUDIENCE = {
    "kind": "A",
    "window": {"type": "absolute", "start": "2025-08-01", "end": "2025-08-08"},
    "audience": {"type": "event", "event": "product_view", "filters": {"product_id": ["3"]},
                 "count": {"op": ">=", "value": 2}},
}
# A typical slip: a count of 0 instead of a Not node, and a field the schema does not have.
INVALID = {
    "kind": "A",
    "audience": {"type": "event", "event": "product_view", "count": {"op": "=", "value": 0}},
    "sql": "SELECT uuid FROM event",
}


def body(payload, *, text=None, finish="STOP"):
    return {
        "candidates": [{
            "content": {"parts": [{"text": text if text is not None else json.dumps(payload, ensure_ascii=False)}],
                        "role": "model"},
            "finishReason": finish,
            "index": 0,
        }],
        "usageMetadata": {"promptTokenCount": 2841, "candidatesTokenCount": 61, "totalTokenCount": 3120,
                          "thoughtsTokenCount": 218,
                          "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2841}]},
        "modelVersion": MODEL,
        "responseId": "mYCXaPqKDeC_1MkPy4qX4Ac",
    }


def error(code, status, message):
    return httpx.Response(code, json={"error": {"code": code, "message": message, "status": status}})


def engine(**kw):
    return GeminiEngine(api_key="test-key", model=MODEL, **kw)


def ask(e, question="8월 1일부터 8일까지 3번 상품을 두 번 이상 본 사람"):
    return e.to_query(question, today=TODAY, timezone="Asia/Seoul", context={"products": ["3", "7"]})


@respx.mock
def test_valid_answer_becomes_the_ir_and_the_request_is_constrained_to_its_schema():
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(AUDIENCE))))
    q = ask(engine())
    assert isinstance(q, Query) and q.kind == "A"
    assert q.audience.filters.product_id == ["3"] and q.audience.count.value == 2
    assert str(q.window.start) == "2025-08-01"

    sent = json.loads(route.calls[0].request.content)
    assert route.calls[0].request.headers["x-goog-api-key"] == "test-key"
    gen = sent["generationConfig"]
    assert gen["responseMimeType"] == "application/json" and gen["temperature"] == 0
    schema = gen["responseJsonSchema"]
    assert schema["properties"]["kind"]["enum"] == ["A", "B", "C"]
    text = json.dumps(schema)
    assert "discriminator" not in text and '"const"' not in text and '"oneOf"' not in text
    assert set(schema["$defs"]) >= {"EventCondition", "Group", "Not", "Aggregate", "Window"}
    assert schema["$defs"]["Group"]["properties"]["type"]["enum"] == ["group"]  # const -> enum
    system = sent["systemInstruction"]["parts"][0]["text"]
    assert "kind" in system and "C" in system and "7일" in system
    user = sent["contents"][0]["parts"][0]["text"]
    assert "2025-08-09" in user and "Asia/Seoul" in user and "product_view" in user
    assert "3번 상품" in user and "7" in user


def test_the_prompt_carries_the_shops_vocabulary_and_nothing_else():
    ctx = {"products": ["7", "3"], "keywords": ["린넨 셔츠"], "tracking_ids": ["cmp-2"], "campaigns": ["vip_coupon"],
           "unknown": ["should-not-appear"]}
    prompt = build_prompt("cmp-2 메시지 클릭한 사람", today=TODAY, timezone="Asia/Seoul", context=ctx)
    assert "7, 3" in prompt and "린넨 셔츠" in prompt and "cmp-2" in prompt and "vip_coupon" in prompt
    assert "should-not-appear" not in prompt
    assert prompt.rstrip().endswith("질문: cmp-2 메시지 클릭한 사람")


@respx.mock
def test_invalid_answer_is_corrected_with_the_validation_errors_fed_back():
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(
        httpx.Response(200, json=body(INVALID)),
        httpx.Response(200, json=body(AUDIENCE)),
    ))
    e = engine()
    q = ask(e)
    assert q.kind == "A" and e.calls == 2
    second = json.loads(route.calls[1].request.content)
    turns = second["contents"]
    assert [t["role"] for t in turns] == ["user", "model", "user"]
    assert json.loads(turns[1]["parts"][0]["text"]) == INVALID  # the model sees its own answer
    feedback = turns[2]["parts"][0]["text"]
    assert "sql" in feedback and "Extra inputs are not permitted" in feedback


@respx.mock
def test_an_answer_our_compiler_refuses_is_corrected_with_its_message():
    revenue_of_big_orders = {"kind": "B", "aggregate": {"metric": "revenue", "event": {
        "event": "order_complete", "filters": {"order_total": {"gte": 100000}}}}}
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(
        httpx.Response(200, json=body(revenue_of_big_orders)),
        httpx.Response(200, json=body({"kind": "B", "aggregate": {"metric": "revenue"}})),
    ))
    q = ask(engine(), "어제 매출")
    assert q.aggregate.metric == "revenue" and q.aggregate.event is None
    feedback = json.loads(route.calls[1].request.content)["contents"][2]["parts"][0]["text"]
    assert "주문 합계 금액 조건은 방문자 조건에서만" in feedback


@respx.mock
def test_broken_json_is_also_corrected():
    respx.post(URL).mock(side_effect=gemini_fake.serve(
        httpx.Response(200, json=body(None, text='{"kind": "A", "audience": ')),
        httpx.Response(200, json=body({"kind": "C", "reason": "나이 정보는 수집하지 않습니다.",
                                       "suggestion": "최근 7일 구매한 방문자"})),
    ))
    q = ask(engine(), "30대 여성 고객")
    assert q.kind == "C" and "나이" in q.reason


@respx.mock
def test_three_invalid_answers_give_up_after_two_corrections():
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(INVALID))))
    with pytest.raises(ModelOutputInvalid) as info:
        ask(engine())
    assert route.call_count == 3
    assert isinstance(info.value, EngineUnavailable)  # so the pipeline falls back to offline
    assert "해석하지 못했습니다" in info.value.message


@pytest.mark.parametrize("response,words", [
    (error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."), "한도"),
    (error(500, "INTERNAL", "An internal error has occurred."), "연결하지 못했습니다"),
    (error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), "연결하지 못했습니다"),
    (error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."), "연결하지 못했습니다"),
])
@respx.mock
def test_quota_and_server_errors_make_the_engine_unavailable(response, words):
    route = respx.post(URL).mock(return_value=response)
    with pytest.raises(EngineUnavailable) as info:
        ask(engine())
    assert words in info.value.message
    assert route.call_count == 1  # no silent retry storm against a failing API


@respx.mock
def test_network_timeout_makes_the_engine_unavailable():
    respx.post(URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(EngineUnavailable) as info:
        ask(engine())
    assert "시간이 초과" in info.value.message


@respx.mock
def test_blocked_or_empty_answer_makes_the_engine_unavailable():
    respx.post(URL).mock(return_value=httpx.Response(200, json={
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10}, "modelVersion": MODEL}))
    with pytest.raises(EngineUnavailable):
        ask(engine())


def test_a_slow_server_hits_the_real_timeout():
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        e = engine(timeout=0.3, base_url=f"http://127.0.0.1:{server.server_address[1]}")
        started = time.monotonic()
        with pytest.raises(EngineUnavailable):
            ask(e)
        assert time.monotonic() - started < 1.5
    finally:
        server.shutdown()


@respx.mock
def test_a_non_json_body_makes_the_engine_unavailable():
    respx.post(URL).mock(return_value=httpx.Response(
        200, text="<html><body>Proxy error</body></html>", headers={"content-type": "text/html"}))
    with pytest.raises(EngineUnavailable) as info:
        ask(engine())
    assert "읽지 못했습니다" in info.value.message


@respx.mock(assert_all_called=False)
@pytest.mark.parametrize("question", ["", "   ", "가" * 1001])
def test_empty_or_overlong_questions_are_kind_c_without_a_request(question):
    route = respx.post(URL)
    q = engine().to_query(question, today=TODAY, timezone="Asia/Seoul")
    assert q.kind == "C" and q.reason and route.call_count == 0


def test_corrections_share_one_time_budget():
    calls = []

    class SlowInvalid(BaseHTTPRequestHandler):
        def do_POST(self):
            calls.append(time.monotonic())
            self.rfile.read(int(self.headers["content-length"]))
            time.sleep(0.2)
            payload = json.dumps(body(INVALID)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowInvalid)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        e = engine(timeout=1.0, total_timeout=0.5, base_url=f"http://127.0.0.1:{server.server_address[1]}")
        started = time.monotonic()
        with pytest.raises(EngineUnavailable):
            ask(e)
        assert time.monotonic() - started < 0.9  # not 3 x 1 s
        assert len(calls) >= 2
    finally:
        server.shutdown()


def test_no_key_means_unavailable():
    with pytest.raises(EngineUnavailable):
        GeminiEngine(api_key="")


# ---------------------------------------------------------------- what the real API accepts

def _eval_irs():
    for name in ("questions.yaml", "questions_holdout.yaml"):
        data = yaml.safe_load(open(f"insights/eval/{name}", encoding="utf-8"))
        for item in data["questions"]:
            q = parser_ko.parse(item["q"], today=data["today"])
            yield item["q"], q.model_dump(mode="json", exclude_none=True)


def test_the_sent_schema_is_within_the_documented_subset_and_has_no_required_ref_loop():
    sent = json.loads(schema_json())
    assert gemini_fake.schema_problems(sent) == []
    # the schema before unrolling is what the API refused with "ref loop of required fields"
    old = response_schema(Query.model_json_schema(), drop=("discriminator", "default", "title", "maxLength"))
    assert any("ref loop of required fields" in p for p in gemini_fake.schema_problems(old))


def test_every_ir_of_the_evaluation_sets_fits_the_unrolled_schema():
    validator = jsonschema.Draft202012Validator(json.loads(schema_json()))
    nested = 0
    for question, ir in _eval_irs():
        errors = [e.message for e in validator.iter_errors(ir)]
        assert errors == [], (question, errors[:3])
        nested += '"type": "not"' in json.dumps(ir)
    assert nested >= 5  # the negations (and[X, not Y]) are among them


@respx.mock
def test_the_fake_refuses_the_old_schema_and_a_retired_model(monkeypatch):
    import insights.query.llm as llm

    respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(AUDIENCE))))
    old = response_schema(Query.model_json_schema(), drop=("discriminator", "default", "title", "maxLength"))
    monkeypatch.setattr(llm, "_gemini_schema", lambda: old)
    with pytest.raises(EngineUnavailable) as info:
        ask(engine())
    assert "거절" in info.value.message and "400" in info.value.detail
    monkeypatch.undo()

    retired = gemini_fake.url("gemini-2.5-flash")
    respx.post(retired).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(AUDIENCE))))
    with pytest.raises(EngineUnavailable) as info:
        ask(GeminiEngine(api_key="test-key", model="gemini-2.5-flash"))
    assert "gemini-2.5-flash" in info.value.message and "GEMINI_MODEL" in info.value.message


@respx.mock
def test_a_429_with_retry_info_waits_the_told_delay_once_then_answers():
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(
        gemini_fake.rate_limited("0.2s"), httpx.Response(200, json=body(AUDIENCE))))
    started = time.monotonic()
    q = ask(engine())
    assert q.kind == "A" and route.call_count == 2
    assert time.monotonic() - started >= 0.2


@respx.mock
def test_a_429_asking_for_longer_than_the_budget_falls_back_at_once():
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(gemini_fake.rate_limited("60s")))
    started = time.monotonic()
    with pytest.raises(EngineUnavailable) as info:
        ask(engine())
    assert route.call_count == 1 and time.monotonic() - started < 2
    assert "한도" in info.value.message
