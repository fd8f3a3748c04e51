import pytest
from django.http import Http404

from tenants.models import AuditEntry, Role
from tenants.selectors import client_get_for_user
from tenants.services import client_check_secret, client_create, client_rotate_secret
from tests.factories import make_member


def test_client_create_issues_keys_and_audits(db):
    client, secret = client_create(name="테스트 상점", mall_id="testmall")
    assert client.ingest_key.startswith("pk_") and secret.startswith("sk_")
    assert secret not in client.secret_hash  # only the hash is kept
    assert client_check_secret(client=client, secret=secret)
    assert AuditEntry.objects.filter(client=client, action="client.create").exists()


def test_rotated_secret_replaces_the_old_one(shop):
    new = client_rotate_secret(client=shop)
    assert client_check_secret(client=shop, secret=new)
    assert not client_check_secret(client=shop, secret="sk_wrong")


def test_membership_resolves_only_own_clients(shop, other_shop):
    user = make_member(shop, Role.VIEWER)
    client, membership = client_get_for_user(user=user, slug=shop.slug)
    assert client == shop and membership.role == Role.VIEWER
    with pytest.raises(Http404):
        client_get_for_user(user=user, slug=other_shop.slug)
    with pytest.raises(Http404):
        client_get_for_user(user=user, pk=other_shop.pk)


def test_roles_are_ordered(shop):
    owner = make_member(shop, Role.OWNER).memberships.get()
    viewer = make_member(shop, Role.VIEWER).memberships.get()
    assert owner.allows(Role.MARKETER) and owner.allows(Role.VIEWER)
    assert not viewer.allows(Role.MARKETER)
