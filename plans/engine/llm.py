"""Gemini structured output for the six plans: one call, one retry with the errors, then give up.

The answer is constrained to ``Answer``'s JSON Schema and then checked by validate.py (bands,
ROI order, grounding). A failed check goes back to the model once with the errors; if the second
answer fails too, ``ModelOutputInvalid`` tells the caller to use the offline engine. Network
errors, timeouts, quota (429) and server errors raise ``gemini.EngineUnavailable`` (the shared
mapping every engine uses, so callers handle them alike). No Django import.
"""
from __future__ import annotations

import logging
import time
from datetime import date

from google.genai import errors as genai_errors
from google.genai import types

import gemini
from gemini import EngineUnavailable

from .context import Profile
from .occasions import Occasion, season_of
from .schema import BANDS, BUDGET_LABELS, CHANNEL_LABELS, PURPOSES, Answer, Trends, answer_json_schema
from .validate import Grounding, validate_answer

log = logging.getLogger(__name__)

DEFAULT_MODEL = gemini.DEFAULT_MODEL
MAX_RETRIES = 1
# The seed's promise is an answer within 10 s: one call gets 8 s, the call and its retry 9 s
# together; past that the offline engine answers (in well under a second).
DEFAULT_TIMEOUT_S = 8.0
TOTAL_TIMEOUT_S = 9.0


class ModelOutputInvalid(EngineUnavailable):
    def __init__(self, errors: list[str]):
        super().__init__("AI 기획안이 검증을 통과하지 못해 기본 추천을 보여 드립니다.", "; ".join(errors[:5]))
        self.errors = errors


SYSTEM_INSTRUCTION = """\
너는 Cafe24 온라인 쇼핑몰의 프로모션(이벤트) 기획 전문가야. 쇼핑몰 정보와 목적, 날짜(시즌·기념일),
그리고 비슷한 과거 기획안의 실제 성과를 보고 트렌드 분석과 기획안 6개를 JSON 하나로 답해.

규칙:
- plans는 정확히 6개: 예산(low/medium/high) x 채널(online/offline) 조합마다 하나씩.
- 비용(cost, 원): low 250000~300000, medium 1500000~1800000, high 5000000~6000000.
- 같은 채널에서 ROI(%)는 예산이 클수록 높아지면 안 돼: low >= medium >= high.
- 예상 참여자(expected_participants)와 ROI는 주어진 참고 사례 범위 안에서 정해.
- title 30자 이내, prize 20자 이내, participation은 한 문장으로 구체적으로.
- trends의 industry/location/season은 각각 100자 내외의 한국어 문장.
- 스키마에 없는 필드를 만들지 말고 설명이나 마크다운 없이 JSON만 답해.
"""

# Plans' answer schema has no oneOf / const, so this only drops what the API does not take:
# minLength / maxLength are not in responseJsonSchema's supported list
# (https://ai.google.dev/api/generate-content#generationconfig); the prompt states the lengths and
# pydantic still enforces them on the answer.
_DROPPED = ("title", "default", "minLength", "maxLength")
# What a marketer reads as the fallback reason when the quota runs out (shown on the page and in
# the API's fallback_reason): the plans page has always said it this way.
QUOTA_MESSAGE = "Gemini 사용량 한도를 넘었습니다."


def gemini_schema() -> dict:
    return gemini.response_schema(answer_json_schema(), drop=_DROPPED)


def build_prompt(*, profile: Profile, purpose: str, day: date, occasions: list[Occasion],
                 hits_by_cell: dict[str, list[dict]], grounding: dict[str, Grounding],
                 trends: Trends | None = None, exclude_titles: set[str] = frozenset()) -> str:
    lines = [
        "[쇼핑몰 정보]",
        f"- 업종: {profile.industry}" + (f" ({profile.business_type})" if profile.business_type else ""),
        f"- 지역: {profile.region or '전국'}",
        f"- 규모(최근 30일): 방문자 {profile.visitors_30d if profile.visitors_30d is not None else '알 수 없음'}명, "
        f"주문 {profile.orders_30d if profile.orders_30d is not None else '알 수 없음'}건 ({profile.size_label()})",
        f"- 이벤트 목적: {PURPOSES[purpose]}",
        f"- 날짜: {day.isoformat()} ({season_of(day)})",
        "- 다가오는 기념일: " + (", ".join(f"{o.name} {o.start.isoformat()}" for o in occasions) or "없음"),
        "",
        "[참고 데이터: 비슷한 과거 기획안의 실제 성과]",
    ]
    for key, hits in hits_by_cell.items():
        b, c = key.split("-")
        lo, hi = BANDS[b]
        g = grounding.get(key)
        lines.append(f"{BUDGET_LABELS[b]} {CHANNEL_LABELS[c]} ({key}, 비용 {lo:,}~{hi:,}원"
                     + (f", 참여자 {g.participants.lo:,}~{g.participants.hi:,}명, ROI {g.roi.lo}~{g.roi.hi}%" if g else "")
                     + "):")
        for i, h in enumerate(hits, 1):
            own = " [우리 쇼핑몰 실제 캠페인]" if h.get("source") == "own" else ""
            lines.append(f"  {i}. {h['title']} - 경품 {h['prize']}, 참여자 {int(h['participants']):,}명, "
                         f"비용 {int(h['cost']):,}원, ROI {int(h['roi'])}%{own}")
    if trends is not None:
        lines += ["", "[이미 분석한 트렌드: trends에는 이 문장을 그대로 써]", trends.model_dump_json()]
    if exclude_titles:
        lines += ["", "[이미 보여 준 기획안: 이 제목과 다른 새 기획안을 제안해]", ", ".join(sorted(exclude_titles))]
    return "\n".join(lines)


class GeminiPlanEngine:
    name = "gemini"

    def __init__(self, api_key: str, model: str = DEFAULT_MODEL, timeout: float = DEFAULT_TIMEOUT_S,
                 *, total_timeout: float = TOTAL_TIMEOUT_S, base_url: str | None = None):
        self._client = gemini.sdk_client(api_key=api_key, timeout=timeout, base_url=base_url)
        self.model = model
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.calls = 0
        self.usage: list[dict] = []

    def _generate(self, contents: list[types.Content], seconds: float, temperature: float) -> str:
        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION, response_mime_type="application/json",
            response_json_schema=gemini_schema(), temperature=temperature,
            http_options=types.HttpOptions(timeout=max(1, int(seconds * 1000))),
        )
        try:
            response = gemini.generate(self._client, model=self.model, contents=contents, config=config,
                                       seconds=seconds)
        except EngineUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, genai_errors.APIError) and cause.code == 429:
                raise EngineUnavailable(QUOTA_MESSAGE, exc.detail) from cause
            raise
        self.calls += 1
        if response.usage_metadata is not None:
            self.usage.append(response.usage_metadata.model_dump(exclude_none=True))
        return response.text

    def recommend(self, prompt: str, grounding: dict[str, Grounding], *, temperature: float = 0.4) -> Answer:
        self.calls, self.usage = 0, []
        deadline = time.monotonic() + self.total_timeout
        contents = [types.Content(role="user", parts=[types.Part(text=prompt)])]
        errors: list[str] = []
        for attempt in range(MAX_RETRIES + 1):
            remaining = deadline - time.monotonic()
            if remaining < 0.05:
                raise EngineUnavailable("Gemini 응답 시간이 초과되었습니다.", f"{attempt} answers, none valid")
            text = self._generate(contents, min(self.timeout, remaining), temperature)
            answer, errors = validate_answer(text, grounding)
            if not errors:
                return answer
            log.info("gemini plan answer %d invalid: %s", attempt + 1, errors)
            contents = contents + [
                types.Content(role="model", parts=[types.Part(text=text)]),
                types.Content(role="user", parts=[types.Part(text=(
                    "직전 JSON이 검증에 실패했어. 아래 오류를 모두 고쳐서 JSON 하나만 다시 답해.\n"
                    + "\n".join(f"- {e}" for e in errors)))]),
            ]
        raise ModelOutputInvalid(errors)
