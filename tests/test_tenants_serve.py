"""`manage.py serve`: the embedded single process runs the web server, a Celery worker and beat,
and the EMBEDDED_THREADS loops. A task sent from a web request must be executed in-process
(the embedded broker is in memory, so no other process could pick it up)."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tenants.management.commands.serve import EmbeddedRuntime

ROOT = Path(__file__).resolve().parent.parent

_loop_ran = threading.Event()
_loop_saw_stop = threading.Event()


def probe_loop(stop_event):
    """An EMBEDDED_THREADS-style loop used by the test below."""
    _loop_ran.set()
    stop_event.wait(30)
    if stop_event.is_set():
        _loop_saw_stop.set()


def test_embedded_threads_start_and_see_the_stop_event():
    runtime = EmbeddedRuntime(worker=False, beat=False, thread_specs=["tests.test_tenants_serve:probe_loop"])
    runtime.start()
    try:
        assert _loop_ran.wait(5)
    finally:
        runtime.stop(timeout=5)
    assert _loop_saw_stop.is_set()
    assert not any(t.is_alive() for t in runtime.threads)


def test_a_bad_thread_spec_fails_before_anything_starts():
    from django.core.management.base import CommandError

    runtime = EmbeddedRuntime(worker=False, beat=False, thread_specs=["tests.nope:missing"])
    with pytest.raises(CommandError, match="cannot load 'tests.nope:missing'"):
        runtime.start()
    assert runtime.threads == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def embedded_env(tmp_path):
    """A fresh embedded deployment: SQLite + chDB under tmp, no Redis, console e-mail."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "CELERY_", "SECRET_KEY",
                                "UNTITLE_", "EMAIL_"))}
    env.update(UNTITLE_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    for cmd in (["migrate", "--noinput", "-v", "0"], ["setup_demo", "--skip-events"]):
        proc = subprocess.run([sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    password = (tmp_path / "var" / "demo_password.txt").read_text().strip()
    return env, password, tmp_path


def _login(http: httpx.Client, username: str, password: str) -> None:
    page = http.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    resp = http.post("/accounts/login/", data={"username": username, "password": password,
                                               "csrfmiddlewaretoken": token})
    assert resp.status_code == 302, resp.text[:500]


def test_serve_runs_web_worker_and_beat_in_one_process(embedded_env):
    env, password, tmp_path = embedded_env
    # A beat schedule stored in the database (as operators edit it in the admin): beat must pick
    # it up and the in-process worker must run it.
    setup = (
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
        "from tenants.models import Client\n"
        "from tenants.services import invitation_create\n"
        "inv, _ = invitation_create(client=Client.objects.get(slug='demo'), email='beat@example.com')\n"
        "every, _ = IntervalSchedule.objects.get_or_create(every=1, period='seconds')\n"
        "PeriodicTask.objects.create(name='probe', interval=every, one_off=True,\n"
        "    task='tenants.tasks.send_invitation_email', args=f'[{inv.pk}, \"beat-token\"]')\n"
    )
    proc = subprocess.run([sys.executable, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr

    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy():
            try:
                return httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return server.poll() is not None and pytest.fail(log_path.read_text())

        _wait_for(healthy, 90, "/healthz")
        with httpx.Client(base_url=base, timeout=10) as http:
            _login(http, "demo", password)
            page = http.get("/c/demo/settings/members/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            resp = http.post("/c/demo/settings/members/", data={"email": "web@example.com", "role": "viewer",
                                                                 "csrfmiddlewaretoken": token})
            assert resp.status_code == 302
        # The console e-mail backend prints to this process's stdout: the worker thread sent it.
        _wait_for(lambda: "To: web@example.com" in log_path.read_text(), 60, "the invitation e-mail from the worker")
        text = log_path.read_text()
        assert re.search(r"/invite/[A-Za-z0-9_-]{20,}/", text)
        _wait_for(lambda: "beat-token" in log_path.read_text(), 60, "the beat-scheduled task")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    assert server.returncode == 0, log_path.read_text()[-3000:]
    assert "UNTITLE stopped" in log_path.read_text()


def test_bad_port_is_a_one_line_error():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--port must be 0-65535"):
        call_command("serve", port=70000)
