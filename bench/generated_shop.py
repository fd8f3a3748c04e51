"""A generated shop in a fresh ClickHouse, shared by the query benchmarks (ask, audience size).

The measured shop gets about ``events`` events from events.generate; a second shop a tenth, so
the client predicate has rows to skip. The schema comes from the product's own migrations.
"""
from __future__ import annotations

import time
from datetime import date

from events.ch_migrate import MIGRATIONS_DIR, _statements

# What events.generate produces per visit over 60 days (measured: 9.3M for 10M asked at 9.6).
EVENTS_PER_VISIT = 8.9


def schema_statements() -> list[str]:
    return [stmt for path in sorted(MIGRATIONS_DIR.glob("*.sql")) for stmt in _statements(path.read_text())]


def load(client, *, events: int, days: int, end: date, shop: int, other: int) -> tuple[int, float]:
    """Create the tables, insert both shops, merge to one part per partition; (events, seconds)."""
    from events.generate import generate

    for stmt in schema_statements():
        client.command(stmt)
    total, started = 0, time.perf_counter()
    for cid, n in ((shop, events), (other, events // 10)):
        visitors = max(1, round(n / days / EVENTS_PER_VISIT))
        for batch in generate(client_id=cid, days=days, visitors=visitors, seed=42, end=end):
            client.insert_arrow("event", batch.to_arrow())
            total += batch.n if cid == shop else 0
    client.command("OPTIMIZE TABLE event FINAL")
    return total, time.perf_counter() - started


def write_section(doc_path, key: str, title: str, text: str) -> None:
    """Replace (or append) the ``<!-- section:KEY -->`` block of docs/benchmarks.md."""
    import re
    from pathlib import Path

    path = Path(doc_path)
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"<!-- section:{key} -->\n## {title}\n\n{text}\n<!-- /section:{key} -->"
    pattern = re.compile(rf"<!-- section:{re.escape(key)} -->.*?<!-- /section:{re.escape(key)} -->", re.S)
    doc = pattern.sub(lambda _: block, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + block + "\n"
    path.write_text(doc)
