"""Tenants never see each other's data: for EVERY tenant URL pattern, a member of client A
asking for client B's slug or id gets 404 (GET and POST), never B's data and never a role error
that would confirm B exists.

The patterns are collected from Django's resolver at collection time, so URLs other apps add
later are covered without touching this file. Each pattern is its own test case.
"""
import re
import uuid

import pytest
from django.apps import apps
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.models import Client, Invitation, Membership, Role
from tenants.services import invitation_create
from tests.factories import UserFactory, make_client, make_member

_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        route = getattr(p.pattern, "_route", None)
        if route is None:  # a regex pattern: not one of our path()-style tenant routes
            continue
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            yield prefix + route, (f"{namespace}:{p.name}" if namespace and p.name else p.name or "")


def tenant_patterns() -> list[tuple[str, str]]:
    seen, found = set(), []
    for route, name in _walk(get_resolver().url_patterns):
        is_page = route.startswith("c/<") and "<slug:slug>" in route
        is_api = "<int:client_id>" in route
        if (is_page or is_api) and route not in seen:
            seen.add(route)
            found.append((route, name))
    return found


PATTERNS = tenant_patterns()


def test_there_are_tenant_patterns_to_check():
    routes = [r for r, _ in PATTERNS]
    assert len(routes) >= 10
    # The ones this app owns must be among them, or the walker is broken.
    for expected in ("c/<slug:slug>/", "c/<slug:slug>/settings/members/<int:pk>/role/",
                     "api/v1/clients/<int:client_id>/", "api/v1/clients/<int:client_id>/audit/"):
        assert expected in routes


def _models_with_client_fk():
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if getattr(f, "many_to_one", False) and f.related_model is Client and f.name == "client":
                yield model
                break


def _object_id_for(kwarg: str, url_name: str, client: Client) -> int:
    """An id of one of ``client``'s own objects that this kwarg plausibly names, else 1."""
    hint = (kwarg.removesuffix("_id").removesuffix("_pk") + " " + url_name).lower()
    for model in _models_with_client_fk():
        model_name = model._meta.model_name
        short = model_name.split("_")[-1]
        if model_name in hint.replace("_", "") or short in hint or (model is Membership and "member" in hint) \
                or (model is Invitation and "invitation" in hint):
            obj = model.objects.filter(client=client).order_by("pk").first()
            if obj is not None:
                return obj.pk
    return 1


def _fill(route: str, url_name: str, target: Client) -> str:
    def sub(m):
        conv, name = m.group("conv") or "str", m.group("name")
        if name == "slug" and route.startswith("c/"):
            return target.slug
        if name == "client_id":
            return str(target.pk)
        if conv == "int":
            return str(_object_id_for(name, url_name, target))
        if conv == "uuid":
            return str(uuid.uuid4())
        return "x"

    return "/" + _PARAM.sub(sub, route)


@pytest.fixture
def two_tenants(db):
    a, b = make_client("가게 A"), make_client("가게 B")
    # Give B some objects so object URLs point at real rows of B.
    b_owner = make_member(b, Role.OWNER)
    make_member(b, Role.MARKETER)
    invitation_create(client=b, email="someone@example.com", role=Role.VIEWER, actor=b_owner)
    return a, b


@pytest.fixture(params=[Role.MARKETER, Role.OWNER])
def member_of_a(request, two_tenants):
    a, b = two_tenants
    user = make_member(a, request.param)
    http = HttpClient(raise_request_exception=False)
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http, a, b


@pytest.mark.parametrize("route,url_name", PATTERNS, ids=[r for r, _ in PATTERNS])
def test_member_of_a_gets_404_for_b(route, url_name, member_of_a):
    http, a, b = member_of_a
    url = _fill(route, url_name, b)
    get = http.get(url)
    assert get.status_code == 404, f"GET {url} -> {get.status_code}"
    assert b.name not in get.content.decode(errors="ignore")
    post = http.post(url, {"name": "hijack", "role": "owner", "email": "x@example.com"})
    assert post.status_code == 404, f"POST {url} -> {post.status_code}"
    patch = http.patch(url, data='{"name": "hijack"}', content_type="application/json")
    assert patch.status_code in (404, 405) if not route.startswith("api/") else patch.status_code == 404
    b.refresh_from_db()
    assert b.name == "가게 B"


@pytest.mark.parametrize(
    "route,url_name",
    [(r, n) for r, n in PATTERNS if len(_PARAM.findall(r)) == 1],
    ids=[r for r, n in PATTERNS if len(_PARAM.findall(r)) == 1],
)
def test_member_of_a_reaches_a(route, url_name, member_of_a):
    """Control for the test above: the same URL with A's own slug/id is not a 404, so the 404
    for B comes from tenancy, not from a broken URL."""
    http, a, b = member_of_a
    url = _fill(route, url_name, a)
    assert http.get(url).status_code != 404


# --- Object URLs this app owns: B's object ids under A's own slug are 404 too ----------------

@pytest.fixture
def owner_of_a(two_tenants, login):
    a, b = two_tenants
    owner = make_member(a, Role.OWNER)
    return login(owner), a, b


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
def test_b_membership_ids_are_404_under_a(owner_of_a, name):
    http, a, b = owner_of_a
    for m in Membership.objects.filter(client=b):
        resp = http.post(f"/c/{a.slug}/settings/members/{m.pk}/{name.split('_')[1]}/", {"role": "viewer"})
        assert resp.status_code == 404
    # Nothing of B changed.
    assert sorted(Membership.objects.filter(client=b).values_list("role", flat=True)) == ["marketer", "owner"]


def test_b_invitation_ids_are_404_under_a(owner_of_a):
    http, a, b = owner_of_a
    inv = Invitation.objects.get(client=b)
    assert http.post(f"/c/{a.slug}/settings/invitations/{inv.pk}/revoke/").status_code == 404
    assert Invitation.objects.filter(pk=inv.pk).exists()


def test_api_client_list_shows_only_own_clients(owner_of_a):
    http, a, b = owner_of_a
    data = http.get("/api/v1/clients/").json()
    assert [c["id"] for c in data["results"]] == [a.pk]


def test_deactivated_client_is_404_for_its_own_members(two_tenants, login):
    a, b = two_tenants
    user = make_member(a, Role.OWNER)
    http = login(user)
    assert http.get(f"/c/{a.slug}/").status_code == 200
    a.is_active = False
    a.save()
    assert http.get(f"/c/{a.slug}/").status_code == 404
    assert http.get(f"/api/v1/clients/{a.pk}/").status_code == 404


def test_non_member_user_gets_404_not_403(db, two_tenants):
    a, b = two_tenants
    stranger = UserFactory()
    http = HttpClient()
    http.force_login(stranger, backend="django.contrib.auth.backends.ModelBackend")
    assert http.get(f"/c/{b.slug}/settings/audit/").status_code == 404
    assert http.get(f"/api/v1/clients/{b.pk}/audit/").status_code == 404
