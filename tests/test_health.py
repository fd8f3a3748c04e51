"""/healthz: database, ClickHouse and (when configured) Redis; 503 when one is down. No auth."""
import socket

import pytest

from events import clickhouse


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def use_clickhouse_url(settings):
    """Point this thread's ClickHouse client somewhere else for one test, then back."""
    original = settings.CLICKHOUSE_URL

    def _use(url):
        settings.CLICKHOUSE_URL = url
        clickhouse.reset_clients()

    yield _use
    settings.CLICKHOUSE_URL = original
    clickhouse.reset_clients()


def test_all_ok(db, client, settings):
    assert settings.REDIS_URL, "the suite runs with a real Redis"
    resp = client.get("/healthz")
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] == "ok"
    assert set(data["checks"]) == {"database", "clickhouse", "redis"}
    assert all(c["ok"] for c in data["checks"].values())


def test_redis_is_not_checked_when_not_configured(db, client, settings):
    settings.REDIS_URL = ""
    data = client.get("/healthz").json()
    assert set(data["checks"]) == {"database", "clickhouse"} and data["status"] == "ok"


def test_redis_down_is_503(db, client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    resp = client.get("/healthz")
    assert resp.status_code == 503
    data = resp.json()
    assert data["status"] == "degraded"
    assert data["checks"]["redis"]["ok"] is False and data["checks"]["database"]["ok"] is True


def test_clickhouse_down_is_503(db, client, use_clickhouse_url):
    use_clickhouse_url(f"http://default:@127.0.0.1:{_closed_port()}/default")
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["clickhouse"]["ok"] is False


def test_database_down_is_503(db, client, settings):
    from django.db import connection

    real_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "untitle_database_that_does_not_exist"
    try:
        resp = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert resp.status_code == 503
    assert resp.json()["checks"]["database"]["ok"] is False
