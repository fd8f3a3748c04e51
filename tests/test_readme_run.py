"""README's first command (bin/run) on a copy of the repository: it comes up on the embedded
default, answers /healthz with 200, prints a demo login that works, and creates its files only
under the one var folder."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_bin_run_serves_the_demo(tmp_path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    repo = tmp_path / "untitle"
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    before = _tree(repo)

    port = _free_port()
    # A fresh machine: none of the services' settings, only the venv is reused (UNTITLE_VENV) so
    # the test does not download every dependency again.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "CELERY_", "SECRET_KEY",
                                "UNTITLE_", "EMAIL_", "PUBLIC_BASE_URL", "DJANGO_"))}
    env.update(PORT=str(port), UNTITLE_VENV=sys.prefix, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["bin/run"], cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        status = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-4000:]
            try:
                status = httpx.get(base + "/healthz", timeout=3).status_code
            except httpx.HTTPError:
                status = None
            if status == 200:
                break
            time.sleep(1)
        assert status == 200, log_path.read_text()[-4000:]

        out = log_path.read_text()
        assert f"URL:      {base}/accounts/login/" in out
        password = re.search(r"password: (\S+)", out).group(1)
        with httpx.Client(base_url=base, timeout=10) as http:
            page = http.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            resp = http.post("/accounts/login/", data={"username": "demo", "password": password,
                                                       "csrfmiddlewaretoken": token}, follow_redirects=True)
            assert resp.status_code == 200 and "데모 상점 대시보드" in resp.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    created = _tree(repo) - before
    assert created, "bin/run created nothing?"
    outside = sorted(p for p in created if not p.startswith("var/"))
    assert outside == [], outside
    assert (repo / "var" / "untitle.sqlite3").exists() and (repo / "var" / "clickhouse").is_dir()
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/"], cwd=ROOT)
    assert ignored.returncode == 0, "var/ must be git-ignored"
