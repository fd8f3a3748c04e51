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
    rules = {"op": "and", "items": [{"filter": "order_count", "params": {"days": 7}}]}
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


def test_an_api_path_no_route_matches_is_a_404_in_the_one_body(api, shop):
    assert_error(api.get(f"/api/v1/clients/-{shop.pk}/queries/"), 404, "not_found")
    assert_error(api.delete(f"/api/v1/clients/{shop.pk}/segments/-3"), 404, "not_found")
    page = api.get("/c/no-such-shop-page/x/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_get_on_the_post_only_plan_pages_is_a_405(api, shop):
    for action in ("reask", "choose"):
        res = api.get(f"/c/{shop.slug}/plans/1/{action}/")
        assert res.status_code == 405, (action, res.status_code)
        assert res["Allow"] == "POST"


# --- the whole schema, fuzzed ------------------------------------------------------------------

def _session_headers(user) -> dict:
    """A logged-in browser's cookies and CSRF header, for a client outside Django's test client."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.test import Client as WebClient
    from django.utils.crypto import get_random_string

    web = WebClient()
    web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    csrf = get_random_string(32, CSRF_ALLOWED_CHARS)
    return {"Cookie": f"sessionid={web.cookies['sessionid'].value}; csrftoken={csrf}", "X-CSRFToken": csrf}


def _pin_ids(raw: dict, *, client_ids: list[int], object_ids: list[int]) -> dict:
    """Path ids drawn from real objects (ours and the other shop's) instead of random integers,
    so the requests reach the views' own code rather than stopping at a 404."""
    for item in raw["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["in"] != "path":
                    continue
                if param["name"] == "client_id":
                    param["schema"] = {"type": "integer", "enum": client_ids}
                elif param["schema"].get("type") == "integer":
                    param["schema"] = {"type": "integer", "enum": object_ids}
    return raw


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_whole_api_answers_no_5xx_and_every_4xx_in_the_one_body(live_server):
    import requests
    import schemathesis
    from django.core.management import call_command
    from django.test import Client as WebClient
    from hypothesis import HealthCheck, given, settings as hsettings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    from tenants.models import Role
    from tests.factories import make_client, make_member

    shop, other = make_client("퍼즈 A"), make_client("퍼즈 B")
    marketer = make_member(shop, Role.MARKETER)
    stranger = make_member(other, Role.OWNER)
    call_command("generate_events", client_id=shop.pk, days=3, visitors=30, seed=5, end="2025-08-08")
    ids = set()
    for owner_shop, user in ((shop, marketer), (other, stranger)):
        web = WebClient()
        web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        base = f"/api/v1/clients/{owner_shop.pk}"
        sq = web.post(f"{base}/queries/", {"name": "방문자", "question": "최근 7일 방문자 수"},
                      content_type="application/json")
        seg = web.post(f"{base}/segments/", {"name": "방문자", "rules": {"op": "and", "items": [
            {"filter": "order_count", "params": {"days": 7}}]}}, content_type="application/json")
        assert sq.status_code == 201 and seg.status_code == 201, (sq.content, seg.content)
        ids |= {sq.json()["id"], seg.json()["id"]}
    raw = json.loads(_schema_as(marketer))
    schema = schemathesis.openapi.from_dict(_pin_ids(raw, client_ids=[shop.pk, other.pk],
                                                     object_ids=sorted(ids) + [10**6]))
    session = requests.Session()
    session.headers.update(_session_headers(marketer))
    problems: list[str] = []
    calls = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @hsettings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                       suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                nonlocal calls
                calls += 1
                res = case.call(base_url=live_server.url, session=session, timeout=30)
                where = f"{case.method} {case.formatted_path} {mode.value}"
                if res.status_code >= 500:
                    problems.append(f"{where}: {res.status_code} {res.text[:200]}")
                elif res.status_code >= 400:
                    try:
                        body = res.json()
                    except ValueError:
                        problems.append(f"{where}: {res.status_code} not JSON: {res.text[:120]!r}")
                        return
                    if not (isinstance(body, dict) and {"code", "detail"} <= set(body) <= {"code", "detail", "fields", "link"}):
                        problems.append(f"{where}: {res.status_code} not the error body: {str(body)[:160]}")

            try:
                run()
            except Unsatisfiable:
                pass   # nothing to make invalid (e.g. a GET whose only parameters are the pinned ids)
    assert calls > 300
    assert not problems, "\n".join(sorted(set(problems))[:40])


# Examples per operation and generation mode: ~50 operations x 2 modes x 10 keeps the run near two
# minutes on two cores.
FUZZ_EXAMPLES = 10


def _schema_as(user) -> bytes:
    from django.test import Client as WebClient

    web = WebClient()
    web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    res = web.get("/api/schema/", {"format": "json"})
    assert res.status_code == 200
    return res.content
