import pytest
from celery import Celery
from celery.app import default_app
from celery.contrib.testing.worker import start_worker

from tenants.models import Role
from tests.factories import make_client, make_member


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


@pytest.fixture(autouse=True)
def _korean_first_each_test():
    # The locale middleware activates a request's language on the thread and nothing resets it
    # between tests (the next request does in production): a test after an English request would
    # read English where the product shows Korean. Each test starts as a new request would.
    from django.conf import settings as dj_settings
    from django.utils import translation

    translation.activate(dj_settings.LANGUAGE_CODE)
    yield
    translation.activate(dj_settings.LANGUAGE_CODE)


@pytest.fixture
def celery_worker():
    """The project's Celery config on a memory broker, with one real worker thread (not eager).

    Needs a transactional database: the worker thread has its own connection.
    """
    from celery import _state
    from celery.signals import task_postrun
    from django.db import connections

    def close_worker_connections(**_kwargs):
        # The worker thread's own DB connection; left open it blocks dropping the test database.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    previous = _state.get_current_app()
    app = Celery("untitle-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url="memory://", result_backend="cache+memory://", task_always_eager=False)
    app.autodiscover_tasks(force=True)  # every installed app's tasks, as the real worker loads them
    app.set_current()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15):
            yield app
    finally:
        task_postrun.disconnect(close_worker_connections)
        (previous or default_app).set_current()
