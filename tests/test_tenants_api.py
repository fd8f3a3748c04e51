"""REST API of tenancy: /api/v1/clients/... resolves the client from the user's memberships."""
import pytest

from tenants.models import AuditEntry, Role
from tenants.services import audit_log
from tests.factories import make_member


def test_list_shows_my_clients_with_my_role(shop, other_shop, login):
    user = make_member(shop, Role.VIEWER)
    make_member(other_shop, Role.OWNER, user=user)
    data = login(user).get("/api/v1/clients/").json()
    roles = {c["id"]: c["role"] for c in data["results"]}
    assert roles == {shop.pk: "viewer", other_shop.pk: "owner"}
    assert "secret_hash" not in data["results"][0]


def test_detail_and_owner_patch(shop, owner, login):
    http = login(owner)
    assert http.get(f"/api/v1/clients/{shop.pk}/").json()["ingest_key"] == shop.ingest_key
    resp = http.patch(f"/api/v1/clients/{shop.pk}/", {"region": "제주", "ingest_key": "pk_forged"},
                      content_type="application/json")
    assert resp.status_code == 200 and resp.json()["region"] == "제주"
    shop.refresh_from_db()
    assert shop.region == "제주" and shop.ingest_key != "pk_forged"  # read-only fields are ignored
    assert AuditEntry.objects.filter(client=shop, action="client.update", actor=owner).exists()


def test_patch_with_bad_timezone_is_400_in_korean(shop, owner, login):
    resp = login(owner).patch(f"/api/v1/clients/{shop.pk}/", {"timezone": "Nowhere/City"},
                              content_type="application/json")
    assert resp.status_code == 400
    assert "알 수 없는 시간대입니다" in resp.json()["fields"]["timezone"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_non_owner_patch_is_403_naming_the_role(shop, login, role):
    resp = login(make_member(shop, role)).patch(f"/api/v1/clients/{shop.pk}/", {"name": "x"},
                                                content_type="application/json")
    assert resp.status_code == 403
    assert "소유자 이상의 역할이 필요합니다" in resp.json()["detail"]


def test_members_list(shop, owner, viewer, login):
    data = login(viewer).get(f"/api/v1/clients/{shop.pk}/members/").json()
    assert {m["username"]: m["role"] for m in data["results"]} == {owner.username: "owner", viewer.username: "viewer"}


def test_audit_is_owner_only(shop, other_shop, owner, marketer, login, client):
    audit_log(action="export.csv", client=shop, actor=marketer, target="audience 1")
    audit_log(action="export.csv", client=other_shop, target="b's audience")
    data = login(owner).get(f"/api/v1/clients/{shop.pk}/audit/").json()
    targets = [e["target"] for e in data["results"]]
    assert "audience 1" in targets and "b's audience" not in targets
    client.force_login(marketer, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/api/v1/clients/{shop.pk}/audit/").status_code == 403


def test_anonymous_is_refused(shop, client):
    assert client.get("/api/v1/clients/").status_code in (401, 403)
    assert client.get(f"/api/v1/clients/{shop.pk}/").status_code in (401, 403)


def test_unknown_client_id_is_404(shop, owner, login):
    assert login(owner).get("/api/v1/clients/999999/").status_code == 404
