import pytest

from tenants.models import Role
from tests.factories import PASSWORD, make_client, make_member


@pytest.fixture
def shop(db):
    return make_client("가게 A")


@pytest.fixture
def other_shop(db):
    return make_client("가게 B")


@pytest.fixture
def owner(shop):
    return make_member(shop, Role.OWNER)


@pytest.fixture
def marketer(shop):
    return make_member(shop, Role.MARKETER)


@pytest.fixture
def viewer(shop):
    return make_member(shop, Role.VIEWER)


@pytest.fixture
def login(client):
    """Log a user in on Django's test client; returns the client."""

    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login
