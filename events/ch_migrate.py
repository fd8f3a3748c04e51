"""Versioned ClickHouse migrations: ``events/ch_migrations/NNNN_name.sql``, applied in order once.

Applied by ``manage.py migrate`` (post_migrate of the events app) and by ``manage.py ch_migrate``.
Each file holds one or more statements separated by ``;`` at line end. Idempotent: applied
versions are recorded in ``schema_migrations``; statements use IF NOT EXISTS where they can.
"""
from __future__ import annotations

import re
from pathlib import Path

from . import clickhouse

MIGRATIONS_DIR = Path(__file__).with_name("ch_migrations")


def _statements(text: str) -> list[str]:
    text = re.sub(r"^\s*--.*$", "", text, flags=re.M)
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if s.strip()]


def pending() -> list[Path]:
    applied = applied_versions()
    return [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.stem not in applied]


def applied_versions() -> set[str]:
    clickhouse.command(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version String, applied_at DateTime DEFAULT now()) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    rows = clickhouse.query("SELECT version FROM schema_migrations FINAL", readonly=False).rows
    return {r[0] for r in rows}


def migrate() -> list[str]:
    done = []
    for path in pending():
        for stmt in _statements(path.read_text()):
            clickhouse.command(stmt)
        clickhouse.insert("schema_migrations", [[path.stem]], ["version"])
        done.append(path.stem)
    return done
