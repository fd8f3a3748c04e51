"""Root conftest: give the run its own var/ dir and chDB store, THEN set up Django.

Only one process may open a chDB path, and tests must never write into a developer's var/.
pytest-django reads the settings in its earliest hook when DJANGO_SETTINGS_MODULE is in the
ini file, before any conftest runs; so the ini does not name it and this file does, after the
environment is in place. Postgres and Redis come from the environment (bin/test sets them).
"""
import os
import tempfile

_run_dir = tempfile.mkdtemp(prefix=f"untitle-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
os.environ["UNTITLE_VAR_DIR"] = _run_dir
os.environ["CLICKHOUSE_URL"] = os.environ.get("TEST_CLICKHOUSE_URL", f"chdb://{_run_dir}/clickhouse")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "untitle.settings")

import django  # noqa: E402

django.setup()
