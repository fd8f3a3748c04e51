"""The package a deployment installs is the product: every installed app is in it, and a wheel
built from this checkout installs and passes ``manage.py check`` away from the checkout."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _own_apps() -> set[str]:
    return {a.split(".")[0] for a in settings.INSTALLED_APPS if (ROOT / a.split(".")[0]).is_dir()}


def test_every_installed_app_is_packaged():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packaged = {p.rstrip("*") for p in include}
    assert _own_apps() <= packaged, _own_apps() - packaged
    assert {"untitle", "gemini"} <= packaged


@pytest.mark.slow
def test_a_built_wheel_installs_and_passes_check(tmp_path):
    wheels = tmp_path / "wheels"
    # A copy of the sources, so the build leaves nothing (build/, *.egg-info) in the checkout.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "var", "build", "*.egg-info",
                                                             "node_modules", "__pycache__", "bench", "docs"))
    # No build isolation: the venv's own setuptools builds it, so the test needs no network.
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(src)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(wheels.glob("untitle-*.whl"))
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    for app in _own_apps() | {"untitle", "gemini"}:
        assert (site / app / "__init__.py").exists(), f"{app} is not in the wheel"
    # Files the code opens at run time travel with their packages.
    assert list((site / "events" / "ch_migrations").glob("*.sql"))
    assert (site / "events" / "sdk" / "untitle.js").exists()
    assert (site / "insights" / "eval" / "questions.yaml").exists()
    assert (site / "untitle" / "templates" / "base.html").exists()
    assert (site / "untitle" / "static" / "js" / "ask.js").exists()
    assert (site / "untitle" / "locale" / "en" / "LC_MESSAGES" / "django.mo").exists()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env.update(PYTHONPATH=str(site), DJANGO_SETTINGS_MODULE="untitle.settings",
               UNTITLE_VAR_DIR=str(tmp_path / "var"), CLICKHOUSE_URL=f"chdb://{tmp_path / 'var' / 'clickhouse'}")
    env.pop("DATABASE_URL", None)  # the embedded default: nothing but the wheel and its dependencies
    code = ("import sys, untitle, django; from django.core.management import call_command; "
            "assert untitle.__file__.startswith(sys.argv[1]), untitle.__file__; django.setup(); call_command('check')")
    # cwd outside the checkout, so nothing is imported from the source tree.
    check = subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-3000:]
    assert "System check identified no issues" in check.stdout + check.stderr
