"""The OpenAPI schema of the JSON API (drf-spectacular, untitle/openapi.py): at /api/schema/ for
logged-in users, every /api/v1 route in it, the one error body declared as the ``Error`` component
on every operation, and the Swagger UI served from our own static files (no CDN, no inline script)."""
from __future__ import annotations

import json
import re

import pytest
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver

from tests.test_error_shape import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(login, marketer):
    res = login(marketer).get("/api/schema/", {"format": "json"})
    assert res.status_code == 200, res.content[:300]
    return json.loads(res.content)


def _api_routes(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _api_routes(p, route)
        elif isinstance(p, URLPattern) and route.startswith("api/v1/"):
            yield p, route


def _as_openapi(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_anonymous_users_get_neither_the_schema_nor_the_docs():
    anonymous = WebClient()
    assert_error(anonymous.get("/api/schema/"), 403, "not_authenticated")
    res = anonymous.get("/api/docs/")
    assert res.status_code == 302 and "/accounts/login/" in res["Location"]


def test_every_drf_route_of_the_api_is_in_the_schema(schema):
    paths = set(schema["paths"])
    drf_routes = [route for p, route in _api_routes() if hasattr(p.callback, "cls")]
    assert len(drf_routes) > 30
    # A route kept with and without its trailing slash (ask, ask/) is one operation, documented
    # under the name without it (untitle.openapi.drop_slash_aliases).
    missing = [r for r in drf_routes
               if not ({_as_openapi(r), _as_openapi(r).replace("{pk}", "{id}"), _as_openapi(r).rstrip("/")} & paths)]
    assert not missing, missing


def test_every_operation_declares_the_one_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "detail"}
    assert set(error["properties"]) == {"code", "detail", "fields", "link"}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status in ("400", "403", "404", "429"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, status)


def test_request_bodies_are_declared_for_views_without_serializers(schema):
    ask = schema["paths"]["/api/v1/clients/{client_id}/ask"]["post"]
    ref = ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"question", "engine", "today", "ir", "page", "page_size"} <= set(schema["components"]["schemas"][ref]["properties"])
    mute = schema["paths"]["/api/v1/clients/{client_id}/alerts/mutes"]["post"]
    ref = mute["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["properties"]["hours"]["type"] == "integer"


def test_the_docs_page_loads_its_files_from_us(login, marketer):
    web = login(marketer)
    res = web.get("/api/docs/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts), scripts
    for src in re.findall(r'src="([^"]+)"', html):
        src = src.replace("&amp;", "&")
        assert src.startswith("/"), src
        assert web.get(src).status_code == 200, src
