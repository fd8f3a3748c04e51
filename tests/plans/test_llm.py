"""Gemini plan engine, faked only at the HTTP layer (google-genai's real client builds requests).

Bodies follow Gemini's generateContent REST shape (candidates[].content.parts[].text,
finishReason, usageMetadata, modelVersion) and its error envelope.
"""
import json
from datetime import date

import httpx
import pytest
import respx

from gemini import EngineUnavailable
from plans.engine import context, offline
from plans.engine.llm import GeminiPlanEngine, ModelOutputInvalid, build_prompt
from plans.engine.occasions import occasions_near
from plans.engine.validate import grounding_from
from tests.fakes import gemini as gemini_fake

MODEL = "gemini-3.5-flash"  # a model the deprecations page does not retire
URL = gemini_fake.url(MODEL)
DAY = date(2026, 11, 5)


def body(payload):
    return {
        "candidates": [{"content": {"parts": [{"text": json.dumps(payload, ensure_ascii=False)}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 1850, "candidatesTokenCount": 912, "totalTokenCount": 2900,
                          "thoughtsTokenCount": 138},
        "modelVersion": MODEL, "responseId": "p1anRecoXyZ",
    }


@pytest.fixture
def setup():
    prof = context.Profile(industry="반려동물 용품", region="서울 마포구", visitors_30d=8000, orders_30d=410)
    hits = context.similar_plans(prof, "sales", DAY)
    g = grounding_from(hits)
    occ = occasions_near(DAY)
    trends = offline.offline_trends(industry_key="pets", industry_text=prof.industry, region=prof.region,
                                    purpose="sales", day=DAY, occasions=occ)
    good = offline.compose(hits, g, trends=trends).model_dump()
    # the model words things its own way
    good["plans"][0]["title"] = "빼빼로데이 펫 간식 타임특가"
    prompt = build_prompt(profile=prof, purpose="sales", day=DAY, occasions=occ, hits_by_cell=hits, grounding=g)
    return prompt, g, good


def engine():
    return GeminiPlanEngine(api_key="test-key", model=MODEL)


@respx.mock
def test_a_valid_answer_is_returned_and_the_request_carries_schema_and_grounding(setup):
    prompt, g, good = setup
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(good))))
    answer = engine().recommend(prompt, g)
    assert answer.plans[0].title == "빼빼로데이 펫 간식 타임특가"
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)
    gen = sent["generationConfig"]
    assert gen["responseMimeType"] == "application/json"
    assert gen["responseJsonSchema"]["properties"]["plans"]["maxItems"] == 6
    text = sent["contents"][0]["parts"][0]["text"]
    # the retrieved figures are in the prompt, with the ranges the answer is checked against
    assert "ROI" in text and "참여자" in text and "블랙프라이데이" in text and "방문자 8000명" in text
    assert f"{g['low-online'].roi.lo}~{g['low-online'].roi.hi}%" in text


@respx.mock
def test_five_plans_are_sent_back_with_the_errors_once_and_the_corrected_answer_wins(setup):
    prompt, g, good = setup
    five = dict(good, plans=good["plans"][:5])
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(five)),
                                              httpx.Response(200, json=body(good))))
    answer = engine().recommend(prompt, g)
    assert len(answer.plans) == 6 and route.call_count == 2
    retry = json.loads(route.calls[1].request.content)["contents"]
    assert [c["role"] for c in retry] == ["user", "model", "user"]
    assert "plans" in retry[2]["parts"][0]["text"] and "검증에 실패" in retry[2]["parts"][0]["text"]


@respx.mock
def test_an_out_of_band_cost_twice_gives_up_after_one_retry(setup):
    prompt, g, good = setup
    bad = json.loads(json.dumps(good))
    bad["plans"][2]["cost"] = 2_400_000     # medium above its 150-180만 band
    route = respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(bad))))
    with pytest.raises(ModelOutputInvalid) as exc:
        engine().recommend(prompt, g)
    assert route.call_count == 2
    assert "예산 범위" in json.loads(route.calls[1].request.content)["contents"][2]["parts"][0]["text"]
    assert any("2,400,000" in e for e in exc.value.errors)


@respx.mock
def test_made_up_numbers_outside_the_retrieved_figures_are_rejected(setup):
    prompt, g, good = setup
    bad = json.loads(json.dumps(good))
    bad["plans"][0]["roi"] = 4000
    respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(200, json=body(bad))))
    with pytest.raises(ModelOutputInvalid) as exc:
        engine().recommend(prompt, g)
    assert any("참고 사례 범위" in e for e in exc.value.errors)


@respx.mock
def test_rate_limit_and_server_errors_are_engine_unavailable(setup):
    prompt, g, _ = setup
    respx.post(URL).mock(side_effect=gemini_fake.serve(httpx.Response(
        429, json={"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}})))
    with pytest.raises(EngineUnavailable) as exc:
        engine().recommend(prompt, g)
    assert "한도" in exc.value.message


def test_no_key_is_engine_unavailable():
    with pytest.raises(EngineUnavailable):
        GeminiPlanEngine(api_key="")


def test_a_slow_model_is_cut_off_within_the_ten_second_promise(setup):
    """A local server (respx's mock transport would ignore timeouts) answers an invalid set after
    1 s; with a 1.5 s budget the retry is cut off and the caller gets EngineUnavailable (then
    the offline engine answers), instead of waiting for a second slow answer."""
    import threading
    import time as _time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    prompt, g, good = setup
    five = json.dumps(body(dict(good, plans=good["plans"][:5]))).encode()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            _time.sleep(1.0)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(five)))
                self.end_headers()
                self.wfile.write(five)
            except (BrokenPipeError, ConnectionResetError):  # the engine gave up first, as it should
                pass

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        eng = GeminiPlanEngine(api_key="k", model=MODEL, timeout=8 / 3, total_timeout=1.5,
                               base_url=f"http://127.0.0.1:{server.server_port}/")
        t = _time.monotonic()
        with pytest.raises(EngineUnavailable):
            eng.recommend(prompt, g)
        assert _time.monotonic() - t < 2.5
    finally:
        server.shutdown()
