"""manage.py gemini_check: one request through the real engine, against the documentation-shaped
fake (tests/fakes/gemini.py validates the schema and the model as the API does)."""
from __future__ import annotations

import json
from io import StringIO

import httpx
import pytest
import respx
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.fakes import gemini as gemini_fake
from tests.query.test_llm import AUDIENCE, body


def _run(**kwargs) -> dict:
    out = StringIO()
    call_command("gemini_check", stdout=out, **kwargs)
    return json.loads(out.getvalue())


@respx.mock
def test_reports_acceptance_model_latency_and_the_ir(settings):
    settings.GEMINI_API_KEY, settings.GEMINI_MODEL = "test-key", "gemini-3.5-flash"
    route = respx.post(gemini_fake.url("gemini-3.5-flash")).mock(
        side_effect=gemini_fake.serve(httpx.Response(200, json=body(AUDIENCE))))
    res = _run()
    assert route.call_count == 1
    assert res["ok"] and res["schema_accepted"] and res["model"] == "gemini-3.5-flash"
    assert res["latency_ms"] >= 0 and res["requests"] == 1 and res["ir"]["kind"] == "A"


@respx.mock
def test_a_retired_model_is_a_one_line_error_naming_the_setting(settings):
    settings.GEMINI_API_KEY, settings.GEMINI_MODEL = "test-key", "gemini-2.5-flash"
    respx.post(gemini_fake.url("gemini-2.5-flash")).mock(
        side_effect=gemini_fake.serve(httpx.Response(200, json=body(AUDIENCE))))
    with pytest.raises(CommandError) as exc:
        _run()
    assert "gemini-2.5-flash" in str(exc.value) and "GEMINI_MODEL" in str(exc.value) and "\n" not in str(exc.value)


def test_without_a_key_it_says_so_and_sends_nothing(settings):
    settings.GEMINI_API_KEY = ""
    with respx.mock(assert_all_called=False) as mock:
        with pytest.raises(CommandError, match="GEMINI_API_KEY"):
            _run()
        assert not mock.calls
