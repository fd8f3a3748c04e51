"""Platform hardening (issue 17, findings 6, 7, 9 and 11): the broker's visibility timeout outlasts
every task, /healthz answers plain HTTP in production, lockout per username as well as per
username+IP, `check --deploy` refuses a production run without FIELD_ENCRYPTION_KEY, and one
warning line per collector 503."""
import logging
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as dj_settings

from tenants.models import Role
from tests.factories import PASSWORD, make_member

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path, **extra) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "app.example.com,testserver",
        "CSRF_TRUSTED_ORIGINS": "https://app.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
        "CLICKHOUSE_URL": f"chdb://{tmp_path / 'ch'}",
        "UNTITLE_VAR_DIR": str(tmp_path / "var"),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def _manage(env, *args, timeout=180):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


# --- 6: broker visibility timeout --------------------------------------------------------------
def test_broker_visibility_timeout_outlasts_every_tasks_hard_time_limit():
    """Redis redelivers an unacknowledged (acks_late) task after the visibility timeout: it must
    be longer than any task may run, or a running task is started twice; and every task must have
    a hard limit, or no timeout is long enough."""
    from untitle.celery import app

    app.loader.import_default_modules()
    app.finalize()
    timeout = dj_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert dj_settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["visibility_timeout"] == timeout
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"messaging.campaign_send", "alerts.tasks.scan_client", "customers.tasks.refit_all"} <= set(ours)
    for name, task in ours.items():
        limit = task.time_limit or app.conf.task_time_limit
        assert limit, f"{name} has no hard time limit"
        assert timeout > limit + 60, f"{name}: limit {limit}s, visibility_timeout {timeout}s"
    # Shorter than kombu's one-hour default, so a killed worker's task comes back sooner.
    assert timeout < 3600


# --- 7: /healthz over plain HTTP in production ---------------------------------------------------
def test_healthz_answers_plain_http_under_production_settings(tmp_path):
    env = _production_env(tmp_path)
    probe = ("from django.test import Client; c = Client(); r = c.get('/healthz'); "
             "l = c.get('/accounts/login/'); print(r.status_code, r.json()['status'], l.status_code, l['Location'])")
    out = _manage(env, "shell", "-c", probe)
    assert out.returncode == 0, out.stderr
    health, status, login, location = out.stdout.strip().splitlines()[-1].split()
    assert (health, status) == ("200", "ok")
    # Everything else still goes to HTTPS.
    assert login == "301" and location.startswith("https://")


# --- 11: check --deploy and FIELD_ENCRYPTION_KEY ------------------------------------------------
def test_check_deploy_fails_without_field_encryption_key(tmp_path):
    env = _production_env(tmp_path, FIELD_ENCRYPTION_KEY=None)
    proc = _manage(env, "check", "--deploy")
    assert proc.returncode != 0
    assert "untitle.E001" in proc.stderr + proc.stdout and "FIELD_ENCRYPTION_KEY" in proc.stderr + proc.stdout


def test_check_deploy_fails_on_a_key_that_is_not_fernet(tmp_path):
    env = _production_env(tmp_path, FIELD_ENCRYPTION_KEY="not-a-key")
    proc = _manage(env, "check", "--deploy")
    assert proc.returncode != 0 and "untitle.E001" in proc.stderr + proc.stdout


def test_check_deploy_passes_with_a_key(tmp_path):
    proc = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_embedded_run_needs_no_key(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "UNTITLE_VAR_DIR": str(tmp_path / "var")}
    proc = _manage(env, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- 9: lockout per username as well as per username+IP -----------------------------------------
def _attempt(client, username, password, ip):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_rotating_addresses_is_still_limited_per_username(shop, client, settings):
    """A distributed attacker (or one rotating X-Forwarded-For where the app is reachable without
    the proxy) never repeats an address; the username alone is locked after its own limit."""
    user = make_member(shop, Role.MARKETER)
    per_pair = settings.AXES_FAILURE_LIMIT
    per_user = settings.AXES_USERNAME_FAILURE_LIMIT
    assert per_user > per_pair  # one mistyping user does not lock everyone else out sooner
    for i in range(per_user):
        resp = _attempt(client, user.username, "guess", f"198.51.100.{i + 1}")
        # Never the same address twice: the pair limit never hits; the last failure locks.
        assert resp.status_code == (429 if i == per_user - 1 else 200), i
    locked = _attempt(client, user.username, PASSWORD, "203.0.113.77")
    assert locked.status_code == 429
    assert "로그인이 잠시 잠겼습니다" in locked.content.decode()
    # Another account is not affected.
    other = make_member(shop, Role.MARKETER)
    assert _attempt(client, other.username, PASSWORD, "203.0.113.77").status_code == 302


def test_pair_limit_still_applies_below_the_username_limit(shop, client, settings):
    user = make_member(shop, Role.MARKETER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "guess", "198.51.100.1")
    assert _attempt(client, user.username, PASSWORD, "198.51.100.1").status_code == 429
    # The same user elsewhere is below the per-username limit and gets in.
    assert _attempt(client, user.username, PASSWORD, "198.51.100.2").status_code == 302


# --- 11: one warning line per collector 503 -----------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_collector_503_is_one_warning_line_without_traceback(caplog, settings):
    """Redis really down (a closed port): the answer is 503 and the log gets one line saying why,
    not a traceback per request (an outage would bury every other log line)."""
    from tests.collector_support import event, key_headers, post
    from tests.factories import make_client

    shop = make_client("가게 503")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings.COLLECTOR_BUFFER = "redis"
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    with caplog.at_level(logging.INFO, logger="events.collector.app"):
        resp = post("/api/v1/events", json={"events": [event()]}, headers=key_headers(shop))
    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"
    records = [r for r in caplog.records if r.name == "events.collector.app"]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert "\n" not in records[0].getMessage() and str(port) in records[0].getMessage()
