"""The layout DESIGN.md §2 and §8 describe, checked on every run rather than by review:

- import-linter's contracts in pyproject.toml (apps layered, internals reached only through
  facades, pure packages free of Django);
- every module of every pure package imports in a fresh interpreter without Django, DRF or
  Celery being loaded (PostHog's hogql/test/test_no_django_imports.py idea, for all of them);
- ruff is clean with the project's configuration;
- no app SQL carries an event-code literal, no app code reads a setting with a default.
"""
from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
APPS = ("untitle", "tenants", "events", "insights", "messaging", "customers", "alerts", "plans", "gemini")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in the venv: bin/bootstrap dev installs it (pyproject dev extras)")
    return str(path)


def test_import_contracts_are_kept():
    res = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    assert "BROKEN" not in res.stdout and "0 broken" in res.stdout


def _pure_modules() -> list[str]:
    """Every module under the sources of the `pure` contract (packages walked to the leaves)."""
    contract = next(c for c in _pyproject()["tool"]["importlinter"]["contracts"] if c.get("id") == "pure")
    names: list[str] = []
    for source in contract["source_modules"]:
        path = ROOT / Path(*source.split("."))
        if path.is_dir():
            names.append(source)
            names += [m.name for m in pkgutil.walk_packages([str(path)], prefix=source + ".")]
        else:
            assert path.with_suffix(".py").exists(), f"pure module {source} does not exist"
            names.append(source)
    return sorted(set(names))


def test_pure_packages_cover_what_they_should():
    pure = _pure_modules()
    # The cores the issue names; a new pure package joins the contract, never leaves it.
    for must in ("gemini", "insights.query.compiler", "insights.query.guard", "insights.query.parser_ko",
                 "insights.audience.rules", "customers.rfm.model", "alerts.detect.detector", "plans.engine.offline",
                 "events.catalog", "events.sql", "messaging.fcm.client", "messaging.cafe24.client"):
        assert must in pure


def test_every_pure_module_imports_without_django():
    modules = _pure_modules()
    # untitle/__init__.py loads the Celery app (Celery's documented Django pattern), so the
    # project package's own pure modules (errors, webhooks) are executed from their files: the
    # module must not need Django, whatever its package does.
    by_file = {m: str(ROOT / Path(*m.split("."))) + ".py" for m in modules if m.startswith("untitle.")}
    code = (
        "import importlib, importlib.util, sys\n"
        f"by_file = {by_file!r}\n"
        f"for name in {modules!r}:\n"
        "    if name in by_file:\n"
        "        spec = importlib.util.spec_from_file_location(name.replace('.', '_'), by_file[name])\n"
        "        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)\n"
        "        spec.loader.exec_module(module)\n"
        "    else:\n"
        "        importlib.import_module(name)\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'django', 'rest_framework', 'celery', "
        "'django_celery_beat'})\n"
        "print(','.join(bad))\n"
    )
    # A bare interpreter: no DJANGO_SETTINGS_MODULE, so a module touching settings fails loudly too.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "", f"pure modules loaded {res.stdout.strip()}"


def test_ruff_is_clean():
    res = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout[-6000:]


def _app_sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_event_code_literals_in_app_sql():
    """Codes come from events/catalog.py (Code, sql_codes, events/sql.py), never as numbers."""
    literal = re.compile(r"event_type\s*(=|==|!=|IN|in)\s*\(?\s*[0-9]")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _app_sources()
            for i, line in enumerate(p.read_text().splitlines(), 1) if literal.search(line)]
    assert hits == []


def test_settings_are_read_only_where_declared():
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _app_sources() if p.name != "settings.py"
            for i, line in enumerate(p.read_text().splitlines(), 1) if "getattr(settings" in line]
    assert hits == []
