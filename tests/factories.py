"""Test data built through the real services, so invariants (keys, hashes, audit) hold."""
import factory
from django.contrib.auth import get_user_model

from tenants.models import Membership, Role
from tenants.services import client_create

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"marketer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


_counter = iter(range(1, 10**9))
_max_client_id = 0


def _never_reuse_a_client_id() -> None:
    """Keep the client id sequence past every id this test run has handed out.

    A transactional test's flush may restart Postgres sequences, but ClickHouse keeps every
    test's events by client_id for the whole run: a reused id would see another test's events.
    """
    if not _max_client_id:
        return
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT setval(s, GREATEST(%s, nextval(s)))"
                        " FROM pg_get_serial_sequence('tenants_client', 'id') AS s", [_max_client_id])
        elif connection.vendor == "sqlite":  # a rolled-back test takes its sqlite_sequence row along
            cur.execute("DELETE FROM sqlite_sequence WHERE name = 'tenants_client' AND seq < %s", [_max_client_id])
            cur.execute("INSERT INTO sqlite_sequence (name, seq) SELECT 'tenants_client', %s"
                        " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tenants_client')",
                        [_max_client_id])


def make_client(name: str | None = None, **kwargs):
    global _max_client_id
    n = next(_counter)
    _never_reuse_a_client_id()
    client, _secret = client_create(name=name or f"Shop {n}", mall_id=kwargs.pop("mall_id", f"mall{n}x"), **kwargs)
    _max_client_id = max(_max_client_id, client.pk)
    return client


def make_member(client, role: str = Role.MARKETER, user=None):
    user = user or UserFactory()
    Membership.objects.create(user=user, client=client, role=role)
    return user
