"""The Gemini plumbing every app that calls the model shares (DESIGN.md §2): one pooled HTTP
client, one way to build the SDK client from settings, one mapping of failures to
``EngineUnavailable`` (Korean message for the user, detail for logs), and the documented JSON
Schema subset for structured output. No Django: callers pass their settings in.

The prompts, schemas and validation stay with their apps (insights.query.llm for questions,
plans.engine.llm for plans, alerts.detect.gemini for alert summaries, customers' rewording).
"""
from __future__ import annotations

from .client import (
    DEFAULT_MODEL,
    EngineUnavailable,
    GeminiConfig,
    generate,
    sdk_client,
    shared_http,
)
from .schema import response_schema, unroll

__all__ = ["DEFAULT_MODEL", "EngineUnavailable", "GeminiConfig", "generate", "response_schema", "sdk_client",
           "shared_http", "unroll"]
