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


def make_client(name: str | None = None, **kwargs):
    n = next(_counter)
    client, _secret = client_create(name=name or f"Shop {n}", mall_id=kwargs.pop("mall_id", f"mall{n}x"), **kwargs)
    return client


def make_member(client, role: str = Role.MARKETER, user=None):
    user = user or UserFactory()
    Membership.objects.create(user=user, client=client, role=role)
    return user
