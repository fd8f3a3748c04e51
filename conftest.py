"""Root conftest: point the run at a fresh embedded ClickHouse before Django reads settings.

Postgres and Redis come from the environment (bin/test sets them); chDB gets a new data path
per run (and per xdist worker), because only one process may open a chDB path.
"""
import os
import tempfile

_run_dir = tempfile.mkdtemp(prefix=f"untitle-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
os.environ.setdefault("UNTITLE_VAR_DIR", _run_dir)
os.environ["CLICKHOUSE_URL"] = os.environ.get("TEST_CLICKHOUSE_URL", f"chdb://{_run_dir}/clickhouse")
