"""manage.py gemini_check [--question Q] [--format json|text]

For an operator with a key: ONE real request to Gemini with the configured key, model and base
URL (GEMINI_API_KEY, GEMINI_MODEL, GEMINI_BASE_URL), through the same engine and schema the ask
page uses. Prints whether the API accepted the request (schema and model), the model, the latency
and the IR it answered. Exit 1 with a one-line error when there is no key or the request failed.
"""
from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gemini import EngineUnavailable, GeminiConfig
from insights.query.llm import GeminiEngine

DEFAULT_QUESTION = "최근 7일 동안 상품 3을 두 번 이상 본 사람"


class Command(BaseCommand):
    help = "Send one question to Gemini with the configured key and model; report acceptance, latency, the IR."

    def add_arguments(self, parser):
        parser.add_argument("--question", default=DEFAULT_QUESTION)
        parser.add_argument("--timezone", default="Asia/Seoul")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **opts):
        config = GeminiConfig.from_settings(settings)
        if not config.enabled:
            raise CommandError("GEMINI_API_KEY가 설정되지 않았습니다 (no Gemini key configured)")
        from datetime import date

        engine = GeminiEngine(api_key=config.api_key, model=config.model, timeout=config.timeout,
                              base_url=config.base_url)
        started = time.monotonic()
        try:
            query = engine.to_query(opts["question"], today=date.today(), timezone=opts["timezone"], context={})
        except EngineUnavailable as exc:
            # One line an operator can act on: the Korean message names the fix (model, key, quota).
            raise CommandError(f"{exc.message} ({exc.detail})" if exc.detail else exc.message)
        out = {"ok": True, "model": config.model, "base_url": config.base_url or "",
               "schema_accepted": True, "latency_ms": round((time.monotonic() - started) * 1000, 1),
               "requests": engine.calls, "question": opts["question"],
               "ir": query.model_dump(mode="json", exclude_none=True)}
        if opts["format"] == "text":
            self.stdout.write(f"OK {config.model}: {out['latency_ms']} ms, {engine.calls} request(s), kind {query.kind}")
        else:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
