"""The SDK client, its shared transport and the one error mapping.

Our own httpx client (the SDK would otherwise open its own per instance): requests go through
the transport the product's HTTP-layer tests fake (respx), and one pool per process is shared by
every engine the web requests create, so connections are reused instead of leaked.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

DEFAULT_MODEL = "gemini-2.5-flash"
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


def generate(client: genai.Client, *, model: str, contents, config: types.GenerateContentConfig,
             seconds: float) -> types.GenerateContentResponse:
    """One generate_content call; every failure becomes ``EngineUnavailable`` (429 says quota).

    An answer without text (blocked, cut off) is a failure too: callers always get text to parse.
    """
    try:
        response = client.models.generate_content(model=model, contents=contents, config=config)
    except genai_errors.APIError as exc:
        if exc.code == 429:
            raise EngineUnavailable("Gemini 사용량 한도를 넘었습니다. 잠시 후 다시 시도하세요.",
                                    f"HTTP 429 {exc.status}") from exc
        raise EngineUnavailable("Gemini 서비스에 연결하지 못했습니다.", f"HTTP {exc.code} {exc.status}") from exc
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
