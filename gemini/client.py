"""The SDK client, its shared transport and the one error mapping.

Our own httpx client (the SDK would otherwise open its own per instance): requests go through
the transport the product's HTTP-layer tests fake (respx), and one pool per process is shared by
every engine the web requests create, so connections are reused instead of leaked.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

# gemini-2.5-flash shut down on June 17, 2026 (https://ai.google.dev/gemini-api/docs/deprecations,
# read 2026-12-04): its successor there, listed from May 19, 2026 with "No shutdown date announced".
DEFAULT_MODEL = "gemini-3.5-flash"
# v1beta serves responseJsonSchema (recursive $ref / anyOf schemas), which the IR needs.
API_VERSION = "v1beta"


class EngineUnavailable(RuntimeError):
    """The model cannot answer now (network, timeout, quota, bad key, unusable output).

    ``message`` is Korean for the user; every caller then answers with its offline engine.
    """

    def __init__(self, message: str, detail: str = ""):
        super().__init__(f"{message} ({detail})" if detail else message)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str = ""
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings) -> "GeminiConfig":
        """From Django settings (or any object with the same GEMINI_* attributes)."""
        return cls(api_key=settings.GEMINI_API_KEY or "", model=settings.GEMINI_MODEL or DEFAULT_MODEL,
                   base_url=settings.GEMINI_BASE_URL or None, timeout=float(settings.GEMINI_TIMEOUT))

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)


_http_client: httpx.Client | None = None
_http_lock = threading.Lock()


def shared_http() -> httpx.Client:
    global _http_client
    with _http_lock:
        if _http_client is None or _http_client.is_closed:
            # per-request timeouts come from each call's config; this is only the ceiling
            _http_client = httpx.Client(timeout=httpx.Timeout(60.0))
        return _http_client


def sdk_client(*, api_key: str, timeout: float, base_url: str | None = None) -> genai.Client:
    if not api_key:
        raise EngineUnavailable("Gemini API 키가 설정되지 않았습니다.", "GEMINI_API_KEY is empty")
    opts = types.HttpOptions(timeout=int(timeout * 1000), base_url=base_url, api_version=API_VERSION,
                             httpx_client=shared_http())
    return genai.Client(api_key=api_key, http_options=opts)


def retry_delay(exc: genai_errors.APIError) -> float | None:
    """Seconds a 429's google.rpc.RetryInfo asks us to wait (None without one).

    https://ai.google.dev/gemini-api/docs/rate-limits ; RetryInfo.retryDelay is a protobuf Duration
    in JSON ("34s", "0.5s"): https://cloud.google.com/apis/design/errors#error_details
    """
    body = exc.details if isinstance(exc.details, dict) else {}
    for detail in (body.get("error") or {}).get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(detail.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None


def _api_error(exc: genai_errors.APIError, model: str) -> EngineUnavailable:
    """The documented errors (https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes)."""
    detail = f"HTTP {exc.code} {exc.status}: {str(exc.message or '')[:300]}"
    if exc.code == 429:
        return EngineUnavailable("Gemini 사용량 한도를 넘었습니다. 잠시 후 다시 시도하세요.", detail)
    if exc.code == 404:
        return EngineUnavailable(f"Gemini 모델 '{model}'을(를) 찾을 수 없습니다(지원 종료 또는 잘못된 이름). "
                                 "GEMINI_MODEL 설정을 현재 모델로 바꾸세요.", detail)
    if exc.code == 400 and "schema" in str(exc.message or "").lower():
        return EngineUnavailable("Gemini가 요청을 거절했습니다(응답 형식 스키마 오류).", detail)
    return EngineUnavailable("Gemini 서비스에 연결하지 못했습니다.", detail)


def generate(client: genai.Client, *, model: str, contents, config: types.GenerateContentConfig,
             seconds: float) -> types.GenerateContentResponse:
    """One generate_content call; every failure becomes ``EngineUnavailable``.

    A 429 whose RetryInfo asks for less than half of ``seconds`` (the caller's budget) is waited
    out once; a longer wait, or a second 429, falls back. An answer without text (blocked, cut off)
    is a failure too: callers always get text to parse.
    """
    try:
        try:
            response = client.models.generate_content(model=model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            delay = retry_delay(exc) if exc.code == 429 else None
            if delay is None or delay > seconds / 2:
                raise
            time.sleep(delay)
            response = client.models.generate_content(model=model, contents=contents, config=config)
    except genai_errors.APIError as exc:
        raise _api_error(exc, model) from exc
    except httpx.TimeoutException as exc:
        raise EngineUnavailable("Gemini 응답 시간이 초과되었습니다.", f"timeout after {seconds:.1f}s") from exc
    except httpx.HTTPError as exc:
        raise EngineUnavailable("Gemini 서비스에 연결하지 못했습니다.", type(exc).__name__) from exc
    except (genai_errors.UnknownApiResponseError, ValueError) as exc:  # a proxy's HTML page, say
        raise EngineUnavailable("Gemini 응답을 읽지 못했습니다.", f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if not response.text:
        reason = ""
        if response.candidates:
            reason = str(response.candidates[0].finish_reason or "")
        elif response.prompt_feedback is not None:
            reason = str(response.prompt_feedback.block_reason or "")
        raise EngineUnavailable("Gemini가 답을 주지 않았습니다.", f"empty response {reason}".strip())
    return response
