"""Ingestion: validate events, buffer them durably, flush them into ClickHouse exactly once.

API for other code that writes events (import_events, generate_events, demo data)::

    from events.ingest.rows import COLUMNS, normalize, to_row, EventInvalid
    from events.ingest.store import insert_events, insert_records

    rec = normalize(client_id, {"event_type": 82, "uuid": "...", "product_id": "3",
                                "created_at": "2025-08-01T10:00:00+09:00"}, history=True)
    row = to_row(client_id, event_dict, history=True)   # list in COLUMNS order
    insert_events([row, ...])                           # -> number of rows actually inserted

- ``normalize`` checks one event exactly like the collector (known code, required fields,
  types, sizes) and returns a JSONEachRow-ready dict holding only the non-null columns;
  it raises ``EventInvalid(field, message)``. ``history=True`` lifts the "not older than
  7 days" rule (imports carry history); "not in the future" still holds.
  The stored ``event_id`` is a compact id led by created_at's minute (``rows.canonical_event_id``):
  generated when absent, else derived deterministically from (client, created_at, your id), so
  importing the same rows twice yields the same ids; ``phone_number`` becomes a keyed hash.
- ``insert_records(dicts)`` / ``insert_events(rows)`` insert in blocks and deduplicate by
  ``event_id`` against the table and inside the call, so re-running an import (or retrying a
  batch that was partly stored) is idempotent.

Hot path: collector (events.collector.app) -> buffer (events.ingest.buffer: Redis stream when
REDIS_URL is set, fsynced spool files under VAR_DIR/spool otherwise) -> flusher
(events.ingest.flusher.run_forever) -> store.insert_block (the buffered JSON, never parsed in Python).
"""
