"""Gemini summaries of an alert through the shared ``gemini`` plumbing: one call with a short
timeout, and every failure raised as ``ExplainUnavailable`` so the caller falls back to the
offline template. No Django import."""
from __future__ import annotations

from google.genai import types

import gemini

DEFAULT_TIMEOUT_S = 10.0


class ExplainUnavailable(gemini.EngineUnavailable):
    """No summary from the model now; the offline template (same numbers) is used instead."""


class GeminiExplainer:
    def __init__(self, api_key: str, model: str = gemini.DEFAULT_MODEL, timeout: float = DEFAULT_TIMEOUT_S,
                 *, base_url: str | None = None):
        self.model = model
        self.timeout = timeout
        try:
            self._client = gemini.sdk_client(api_key=api_key, timeout=timeout, base_url=base_url)
        except gemini.EngineUnavailable as exc:
            raise ExplainUnavailable(exc.message, exc.detail) from exc

    def explain(self, prompt: str) -> str:
        config = types.GenerateContentConfig(temperature=0.2, max_output_tokens=400)
        try:
            response = gemini.generate(self._client, model=self.model, contents=prompt, config=config,
                                       seconds=self.timeout)
        except gemini.EngineUnavailable as exc:
            raise ExplainUnavailable(exc.message, exc.detail) from exc
        text = response.text.strip()
        if not text:   # whitespace only: nothing to show a marketer either
            raise ExplainUnavailable("Gemini가 답을 주지 않았습니다.", "empty response")
        return text
