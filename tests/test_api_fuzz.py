"""No 5xx for a user's mistake: each cause the fuzzing of issue 17 (finding 10) found, as a request a
client could send, answered 4xx in the one error body; then a bounded schemathesis run over the
whole OpenAPI schema (tests/test_openapi.py checks the schema itself)."""
from __future__ import annotations

import json

import pytest

from tests.test_error_shape import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(login, marketer):
    return login(marketer)


def _post(api, url, body, method="post"):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return getattr(api, method)(url, raw, content_type="application/json")


@pytest.mark.parametrize("schedule", [["0", "9", "*", "*", "1"], {"cron": "0 9 * * 1"}, 5])
def test_a_schedule_that_is_not_text_is_a_400(api, shop, schedule):
    base = f"/api/v1/clients/{shop.pk}"
    body = assert_error(_post(api, f"{base}/queries/", {"name": "q", "question": "방문자 수", "schedule": schedule}),
                        400)
    assert "schedule" in body.get("fields", {}), body
    rules = {"op": "and", "items": [{"filter": "visited", "params": {"days": 7}}]}
    body = assert_error(_post(api, f"{base}/segments/", {"name": "s", "rules": rules, "schedule": schedule}), 400)
    assert "schedule" in body.get("fields", {}), body


def test_a_question_that_is_not_text_is_a_400(api, shop):
    base = f"/api/v1/clients/{shop.pk}"
    for value in (7, ["방문자 수"], {"q": 1}, True):
        assert_error(_post(api, f"{base}/queries/", {"name": "q", "question": value}), 400)
        assert_error(_post(api, f"{base}/ask", {"question": value}), 400)
        assert_error(_post(api, f"{base}/audiences/parse", {"question": value}), 400)
        if not isinstance(value, int):  # DRF's CharField reads a number as its digits, as documented
            assert_error(_post(api, f"{base}/customers/ask", {"question": value}), 400)
    sq = _post(api, f"{base}/queries/", {"name": "q", "question": "최근 7일 방문자 수"})
    assert sq.status_code == 201, sq.content
    assert_error(_post(api, f"{base}/queries/{sq.json()['id']}", {"question": 7}, method="patch"), 400)
    assert_error(_post(api, f"{base}/queries/{sq.json()['id']}", {"name": ["x"]}, method="patch"), 400)


@pytest.mark.parametrize("body", [
    [1, 2], "mute", {"hours": {"h": 1}}, {"hours": [24]}, {"hours": 24, "entity_kind": ["product"]},
    {"hours": 24, "metric": {"m": 1}}, {"hours": 24, "entity_id": {"id": 7}}, {"hours": 24, "reason": ["x"]},
])
def test_mute_fields_of_the_wrong_type_are_a_400(api, shop, body):
    assert_error(_post(api, f"/api/v1/clients/{shop.pk}/alerts/mutes", body), 400)


@pytest.mark.parametrize("engine", [{"name": "offline"}, ["offline"], 1])
def test_an_engine_that_is_not_a_name_is_a_400(api, shop, engine):
    base = f"/api/v1/clients/{shop.pk}"
    assert_error(_post(api, f"{base}/ask", {"question": "최근 7일 방문자 수", "engine": engine}), 400)
    assert_error(_post(api, f"{base}/audiences/parse", {"question": "최근 7일 방문자 수", "engine": engine}), 400)
    assert_error(_post(api, f"{base}/plans/recommend", {"purpose": "sales", "engine": engine}), 400)
    assert_error(_post(api, f"{base}/queries/", {"name": "q", "question": "방문자 수", "engine": engine}), 400)


def test_a_lone_surrogate_in_a_string_is_a_400(api, shop):
    base = f"/api/v1/clients/{shop.pk}"
    # json.dumps writes the escape \ud800, which Python's json reads back as a lone surrogate:
    # text no database or UTF-8 encoder can take.
    for url, body in ((f"{base}/queries/", {"name": "q\ud800", "question": "방문자 수"}),
                      (f"{base}/ask", {"question": "방문자\ud800 수"}),
                      (f"{base}/alerts/mutes", {"hours": 24, "reason": "\udfff"}),
                      (f"{base}/segments/", {"name": "\ud83d", "rules": {"op": "and", "items": []}})):
        assert_error(_post(api, url, body), 400, "parse_error")


def test_too_deeply_nested_json_is_a_400(api, shop):
    deep = "[" * 5000 + "]" * 5000
    assert_error(_post(api, f"/api/v1/clients/{shop.pk}/ask", '{"question": "x", "ir": ' + deep + "}"), 400,
                 "parse_error")


def test_get_on_the_post_only_plan_pages_is_a_405(api, shop):
    for action in ("reask", "choose"):
        res = api.get(f"/c/{shop.slug}/plans/1/{action}/")
        assert res.status_code == 405, (action, res.status_code)
        assert res["Allow"] == "POST"
