"""Every JSON error has the one body README's "API errors" documents, whichever app answers:
{"code", "detail", "fields"?, "link"?} with a 4xx status for the user's mistakes."""
from __future__ import annotations

import pytest
from django.test import Client

from tenants.models import Role
from tests.collector_support import key_headers, post, use_spool
from tests.factories import make_member

KEYS = {"code", "detail", "fields", "link"}


def assert_error(res, status: int, code: str | None = None) -> dict:
    assert res.status_code == status, res.content[:500]
    body = res.json()
    assert set(body) <= KEYS and {"code", "detail"} <= set(body), body
    assert isinstance(body["code"], str) and body["code"] and isinstance(body["detail"], str) and body["detail"]
    if "fields" in body:
        assert body["fields"] and all(isinstance(k, str) and isinstance(v, str) for k, v in body["fields"].items())
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def api(login, marketer):
    return login(marketer)


def test_a_service_error_a_field_error_and_a_validation_error_share_the_shape(api, shop, owner, login):
    # insights (AskError): an empty question
    assert_error(api.post(f"/api/v1/clients/{shop.pk}/ask", {"question": " "}, content_type="application/json"),
                 400, "empty")
    # insights audience builder: a rule parameter out of range names its field
    res = api.post(f"/api/v1/clients/{shop.pk}/audiences/size",
                   {"rules": {"op": "and", "items": [{"filter": "viewed_product", "params": {"days": 400}}]}},
                   content_type="application/json")
    assert assert_error(res, 400)["fields"] == {"items.0.params.days": "365 이하로 입력해 주세요."}
    # tenants (a DRF serializer): its field errors come out in the same body
    res = login(owner).patch(f"/api/v1/clients/{shop.pk}/", {"timezone": "Mars/Olympus"},
                             content_type="application/json")
    body = assert_error(res, 400, "invalid")
    assert "알 수 없는 시간대입니다" in body["fields"]["timezone"] and body["detail"] == body["fields"]["timezone"]
    # plans (PlanError): an unknown purpose
    assert_error(api.post(f"/api/v1/clients/{shop.pk}/plans/recommend", {"purpose": "nope"},
                          content_type="application/json"), 400)
    # alerts: a mute of no hours
    assert_error(api.post(f"/api/v1/clients/{shop.pk}/alerts/mutes", {"hours": "x", "entity_kind": "product",
                                                                      "entity_id": "7", "metric": "views"},
                          content_type="application/json"), 400)


def test_framework_errors_share_the_shape(api, shop, other_shop, login):
    assert_error(api.post(f"/api/v1/clients/{other_shop.pk}/ask", {"question": "방문자 수"},
                          content_type="application/json"), 404, "not_found")
    viewer = make_member(shop, Role.VIEWER)
    body = assert_error(login(viewer).post(f"/api/v1/clients/{shop.pk}/sql", {"sql": "SELECT 1"},
                                           content_type="application/json"), 403, "permission_denied")
    assert "마케터" in body["detail"]
    assert_error(api.post(f"/api/v1/clients/{shop.pk}/ask", "{not json", content_type="application/json"),
                 400, "parse_error")
    assert_error(api.delete(f"/api/v1/clients/{shop.pk}/ask"), 405, "method_not_allowed")
    res = Client().post(f"/api/v1/clients/{shop.pk}/ask", {"question": "방문자 수"}, content_type="application/json")
    assert_error(res, 403, "not_authenticated")


@pytest.mark.django_db(transaction=True)  # the collector reads the shop on its own connection
def test_the_collector_shares_the_shape(shop, settings, tmp_path):
    use_spool(settings, tmp_path)
    assert_error(post("/api/v1/events", json={"event_type": 82}), 401)
    assert_error(post("/api/v1/events", content=b"{not json", headers=key_headers(shop)), 400)
    # A bad event in a batch is named by its place in the body.
    res = post("/api/v1/events", json={"events": [{"event_type": 99, "uuid": "8d3c7c53-1d0a-4a39-9d53-2c1c38a5c0aa"}]},
               headers=key_headers(shop))
    assert any(k.startswith("events.0") for k in assert_error(res, 400)["fields"])


def test_push_subscription_errors_share_the_shape(client, shop):
    assert_error(client.post("/api/v1/push/subscribe", "nope", content_type="application/json"), 400)
    assert_error(client.post("/api/v1/push/subscribe", {"ingest_key": "pk_wrong", "uuid": "x", "token": "t"},
                             content_type="application/json"), 401)


@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b'{"uuid": "\\ud800", "token": "t"}', b"[1, 2]"])
def test_plain_json_views_refuse_what_the_api_parser_refuses(client, shop, body):
    # The storefront's push subscription is a plain Django view (no DRF parser): nested past the
    # recursion limit, a lone surrogate or a non-object is the sender's mistake, not a 500.
    res = client.post(f"/api/v1/push/subscribe?key={shop.ingest_key}", body, content_type="application/json")
    assert_error(res, 400, "parse_error")
