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
        # force_login: client.login() calls authenticate() without a request, which django-axes
        # (the brute-force guard) refuses. The login form itself is tested in test_auth.py.
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's 1M rounds cost ~1 s per user on a busy 2-core box; tests do not need that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
