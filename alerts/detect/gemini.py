"""Gemini summaries of an alert (same client style as insights/query/llm.py): our own httpx
client, a per-request timeout, and every failure raised as ``ExplainUnavailable`` so the caller
falls back to the offline template. No Django import."""
from __future__ import annotations

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

DEFAULT_TIMEOUT_S = 10.0


class ExplainUnavailable(RuntimeError):
    pass


class GeminiExplainer:
    def __init__(self, api_key: str, model: str = "gemini-2.5-flash", timeout: float = DEFAULT_TIMEOUT_S,
                 *, base_url: str | None = None):
        if not api_key:
            raise ExplainUnavailable("GEMINI_API_KEY is empty")
        from insights.query.llm import _shared_http

        self.model = model
        self.timeout = timeout
        opts = types.HttpOptions(timeout=int(timeout * 1000), base_url=base_url, api_version="v1beta",
                                 httpx_client=_shared_http())
        self._client = genai.Client(api_key=api_key, http_options=opts)

    def explain(self, prompt: str) -> str:
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=prompt,
                config=types.GenerateContentConfig(temperature=0.2, max_output_tokens=400))
        except (genai_errors.APIError, httpx.HTTPError, genai_errors.UnknownApiResponseError, ValueError) as exc:
            raise ExplainUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        text = (response.text or "").strip()
        if not text:
            raise ExplainUnavailable("empty response")
        return text
