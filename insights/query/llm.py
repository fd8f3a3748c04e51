"""The Gemini engine: a marketer's question -> ``Query`` IR through structured output.

The model never writes SQL here: its answer is constrained to the IR's JSON schema, validated
by the same pydantic models the offline parser produces, and compiled by our compiler. When the
answer does not validate (or validates but our compiler refuses it), the errors go back to the
model (at most ``MAX_RETRIES`` corrections, all within one time budget). Network errors, timeouts, quota (429) and server errors raise
``EngineUnavailable`` so the pipeline falls back to the offline engine. No Django import.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import date

from google.genai import types
from pydantic import ValidationError

from events import catalog
from gemini import DEFAULT_MODEL, EngineUnavailable, generate, response_schema, sdk_client, unroll
from insights.query.ir import EVENT_NAMES, VIEW_PAIRS, Query, cannot_answer

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "EngineUnavailable", "GeminiEngine", "ModelOutputInvalid", "build_prompt",
           "schema_json"]

MAX_RETRIES = 2            # corrections after the first answer: 3 calls at most
DEFAULT_TIMEOUT_S = 15.0      # per request; all corrections together get twice that
MAX_QUESTION_CHARS = 1000


class ModelOutputInvalid(EngineUnavailable):
    """The model kept answering outside the IR after every correction."""

    def __init__(self, detail: str, attempts: int):
        super().__init__("AI 응답을 질의 형식으로 해석하지 못했습니다.", detail)
        self.attempts = attempts


# Adapted from the seed's prompt (seeds/000-untitle.md): same rules, but the answer is the IR.
SYSTEM_INSTRUCTION = """\
너는 쇼핑몰 사용자 행동 데이터를 클라이언트(쇼핑몰)별로 분석하는 데이터 분석가야.
마케터의 질문을 SQL이 아니라 주어진 JSON 스키마(Query)의 객체 하나로 바꿔. 설명이나 마크다운 없이 JSON만 답해.

kind는 셋 중 하나야:
- A: 조건에 맞는 방문자(uuid) 목록을 묻는 질문. audience에 방문자별 조건을 넣어.
- B: 수치·비율·추이·순위를 묻는 질문. aggregate에 지표를 넣고, 특정 방문자만 셀 때는 audience도 넣어.
- C: 기록된 이벤트(아래 목록)로 답할 수 없거나 모호한 질문. 나이·성별·날씨·지역·광고비처럼 이벤트에 없는 정보,
  무엇을 세는지 불분명한 질문이면 추측하지 말고 C로 답하고 reason(한국어 이유)과 suggestion(답할 수 있는 질문 예)을 써.
  확실하지 않으면 C야.

규칙:
- 조회(보기)는 시작/종료 두 이벤트로 기록되지만 한 번의 조회야. product_view, main_view, category_view, board_view,
  page_view 같은 논리 이벤트 이름을 쓰면 시작 이벤트만 센다.
- "두 번 이상"은 count {op: ">=", value: 2}. "한 번도 안 한"·"하지 않은"은 Not 노드로 표현하고 count 0을 쓰지 마.
- "A 했지만 B 안 한"은 group(and)[A, not(B)]. "A 한 뒤 B"는 sequence.
- 기간은 클라이언트 시간대의 로컬 날짜야. 기간을 말하지 않으면 window.type = "default"(오늘 포함 최근 7일 + 오늘).
  "최근 14일"은 last_n n=14 unit=day, "어제"·"지난주"·"이번 달"·"지난달"은 named, 날짜 범위는 absolute(YYYY-MM-DD).
  연도가 없는 날짜는 오늘 기준으로 가장 가까운 과거의 그 날짜야.
- 상품·카테고리·게시판 id는 문자열이야(예: "3").
- 매출은 order_complete의 amount 합, 주문 수는 order_id 개수야.
- 스키마에 없는 필드를 만들지 마.
"""


def _event_catalog_text() -> str:
    lines = []
    for e in catalog.EVENT_TYPES:
        if e.code in catalog.END_CODES:
            continue
        logical = next((k for k, v in VIEW_PAIRS.items() if v == e.name), e.name)
        if logical not in EVENT_NAMES:
            continue
        fields = ", ".join(e.fields) or "-"
        lines.append(f"- {logical} ({e.label_ko} / {e.label_en}; code {e.code}): {fields}")
    return "\n".join(lines)


_DROPPED_KEYWORDS = ("discriminator", "default", "title", "maxLength")
# Group / Not nesting levels the sent schema allows. The evaluation sets need 2 (and[X, not Y]);
# 4 leaves room for and[X, not(or[A, B])] and one more. Deeper IRs still validate in pydantic.
MAX_NESTING = 4


def _gemini_schema() -> dict:
    """The IR schema in the JSON-Schema subset Gemini's responseJsonSchema documents.

    Besides what ``gemini.response_schema`` always drops, OpenAPI's ``discriminator`` and
    ``maxLength`` go too (unsupported keywords are silently ignored at best). Pydantic still
    validates the answer against the full model. Not.item and Group.items are required and
    recursive, which the API refuses (400): the recursion is unrolled to ``MAX_NESTING`` levels.
    """
    return unroll(response_schema(Query.model_json_schema(), drop=_DROPPED_KEYWORDS), depth=MAX_NESTING)


def build_prompt(question: str, *, today: date, timezone: str, context: dict | None = None) -> str:
    """The user turn. ``context`` is the shop's own vocabulary (insights.ask.selectors.ask_context):
    products, categories, keywords, boards, tracking_ids, campaigns — lists of strings."""
    context = context or {}
    parts = [
        f"오늘 날짜는 {today.isoformat()}이고 시간대는 {timezone}야. 날짜 조건은 이 시간대의 로컬 자정 기준이야.",
        "이벤트 목록 (이름 (한국어 / English; 코드): 필드):",
        _event_catalog_text(),
    ]
    for key, label in (("products", "자주 보는 상품 id"), ("categories", "카테고리 id"),
                       ("keywords", "자주 쓰는 검색어"), ("boards", "게시판 id"),
                       ("tracking_ids", "메시지 tracking_id"), ("campaigns", "utm_campaign")):
        values = context.get(key)
        if values:
            parts.append(f"{label}: {', '.join(str(v) for v in list(values)[:50])}")
    parts.append(f"질문: {question}")
    return "\n".join(parts)


def _errors_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        lines = []
        for err in exc.errors(include_url=False)[:20]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
            lines.append(f"- {loc}: {err.get('msg')}")
        return "\n".join(lines)
    return f"- {exc}"


def _compile_error(q: Query, *, timezone: str, today: date) -> str:
    """What our compiler says about a schema-valid IR ("" when it compiles): also fed back."""
    from zoneinfo import ZoneInfo

    from insights.query.compiler import CompileError, compile_query

    if q.kind == "C":
        return ""
    try:
        ZoneInfo(timezone)
    except Exception:  # the caller's timezone, not the model's mistake: let the pipeline say so
        return ""
    try:
        compile_query(q, client_id=0, timezone=timezone, today=today)
    except CompileError as exc:
        return f"- {exc}"
    return ""


class GeminiEngine:
    name = "gemini"

    def __init__(self, api_key: str, model: str = DEFAULT_MODEL, timeout: float = DEFAULT_TIMEOUT_S,
                 *, total_timeout: float | None = None, base_url: str | None = None):
        self.model = model
        self.timeout = timeout
        # corrections must not turn one question into a minute of waiting
        self.total_timeout = total_timeout if total_timeout is not None else 2 * timeout
        self._client = sdk_client(api_key=api_key, timeout=timeout, base_url=base_url)
        self.calls = 0           # requests made by the last to_query (for the eval report)
        self.usage: list[dict] = []

    def _config(self, seconds: float) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_json_schema=_gemini_schema(),
            temperature=0,
            http_options=types.HttpOptions(timeout=max(1, int(seconds * 1000))),
        )

    def _generate(self, contents: list[types.Content], seconds: float) -> str:
        response = generate(self._client, model=self.model, contents=contents, config=self._config(seconds),
                            seconds=seconds)
        self.calls += 1
        if response.usage_metadata is not None:
            self.usage.append(response.usage_metadata.model_dump(exclude_none=True))
        return response.text

    def to_query(self, question: str, *, today: date, timezone: str, context: dict | None = None) -> Query:
        question = (question or "").strip()
        if not question:
            return cannot_answer("질문이 비어 있습니다.", "예: 최근 7일 동안 상품을 본 방문자")
        if len(question) > MAX_QUESTION_CHARS:
            return cannot_answer(f"질문이 너무 깁니다 ({len(question)}자). {MAX_QUESTION_CHARS}자 이내로 물어 주세요.")
        self.calls = 0
        self.usage = []
        deadline = time.monotonic() + self.total_timeout
        prompt = build_prompt(question, today=today, timezone=timezone, context=context)
        contents = [types.Content(role="user", parts=[types.Part(text=prompt)])]
        error = text = ""
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                contents = contents + [
                    types.Content(role="model", parts=[types.Part(text=text)]),
                    types.Content(role="user", parts=[types.Part(text=(
                        "직전 JSON이 스키마 검증에 실패했어. 아래 오류를 고쳐서 JSON 하나만 다시 답해. "
                        "확실하지 않으면 kind C로 답해.\n" + error))]),
                ]
            remaining = deadline - time.monotonic()
            if remaining < 0.05:
                raise EngineUnavailable("Gemini 응답 시간이 초과되었습니다.",
                                        f"{attempt} answers in {self.total_timeout}s, none valid")
            text = self._generate(contents, min(self.timeout, remaining))
            try:
                q = Query.model_validate_json(text)
            except ValidationError as exc:
                error = _errors_text(exc)
                log.info("gemini answer %d did not validate: %s", attempt + 1, error)
                continue
            error = _compile_error(q, timezone=timezone, today=today)
            if not error:
                return q
            log.info("gemini answer %d does not compile: %s", attempt + 1, error)
        raise ModelOutputInvalid(error.splitlines()[0][:300], attempts=MAX_RETRIES + 1)


def schema_json() -> str:
    """The schema exactly as sent to Gemini (for docs and debugging)."""
    return json.dumps(_gemini_schema(), ensure_ascii=False, indent=2)
