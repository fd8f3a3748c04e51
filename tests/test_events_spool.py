"""The embedded buffer on its own: concurrent appends share fsyncs and lose nothing; a crashed
writer's torn last line is skipped; segments roll and are deleted once flushed."""
import os
import threading
import uuid

import orjson
import pytest

from events import clickhouse
from events.ingest import flusher
from events.ingest.buffer import Spool
from events.ingest.rows import normalize


def records(client_id, n, tag):
    return [normalize(client_id, {"event_type": 82, "uuid": str(uuid.uuid4()), "product_id": f"{tag}-{i}"})
            for i in range(n)]


def test_concurrent_appends_all_land(tmp_path):
    spool = Spool(tmp_path, segment_bytes=20_000)  # small segments: many roll-overs
    errors = []

    def writer(t):
        try:
            for i in range(40):
                spool.append(records(1, 3, f"{t}.{i}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert spool.pending_events() == 8 * 40 * 3
    assert len(spool.segments()) > 1
    ids = {r["product_id"] for batch in spool.read(max_events=10**6) for r in batch.records}
    assert len(ids) == 8 * 40 * 3


@pytest.mark.django_db
def test_torn_tail_of_a_dead_writer_is_skipped_and_the_rest_flushed(tmp_path, shop):
    spool = Spool(tmp_path)
    good = records(shop.id, 5, "ok")
    # A writer (pid 999999 does not exist) died mid-append: one whole entry, then half of one.
    dead = tmp_path / f"{1:020d}-999999.open"
    dead.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(records(shop.id, 5, "torn"))[:40])
    stats = flusher.drain(spool)
    assert stats.inserted == 5
    assert clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": shop.id}).rows[0][0] == 5
    assert not dead.exists() and not spool.segments()  # flushed and cleaned up


@pytest.mark.django_db
def test_flushed_segments_are_deleted_and_offsets_survive_a_restart(tmp_path, shop):
    spool = Spool(tmp_path, segment_bytes=2_000)
    for i in range(10):
        spool.append(records(shop.id, 4, f"r{i}"))
    spool.close()
    first = spool.read(max_events=8)  # two entries
    for batch in first:
        from events.ingest.store import insert_records

        insert_records(batch.records)
        batch.commit()
    restarted = Spool(tmp_path)  # a new process: reads the committed offsets from disk
    assert restarted.pending_events() == 40 - 8
    flusher.drain(restarted)
    assert clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": shop.id}).rows[0][0] == 40
    assert not restarted.segments() and not [p for p in os.listdir(tmp_path) if p.endswith(".offset")]


def test_reading_ahead_never_deletes_what_is_not_committed(tmp_path):
    spool = Spool(tmp_path)
    spool.append(records(1, 3, "a"))
    spool.close()
    handed_out = spool.read()
    assert sum(len(b.records) for b in handed_out) == 3
    assert spool.read() == []  # nothing new; the segment must survive its uncommitted batch
    spool.rewind()  # the insert failed
    again = spool.read()
    assert [r["product_id"] for b in again for r in b.records] == ["a-0", "a-1", "a-2"]
    again[0].commit()
    assert spool.read() == [] and not spool.segments()


@pytest.mark.django_db
def test_a_damaged_entry_is_skipped_and_the_rest_of_its_batch_flushed(tmp_path, shop, caplog):
    # A whole line whose header reads but whose events do not (disk damage, never a normal
    # case): ClickHouse refuses the block, the flusher finds the one bad entry, logs it and
    # stores the others instead of retrying the batch forever.
    from events.ingest.buffer import entry_header

    spool = Spool(tmp_path)
    spool.append(records(shop.id, 4, "before"))
    bad = records(shop.id, 3, "bad")
    with open(spool.segments()[0], "ab") as f:
        f.write(entry_header(bad) + b"\t" + orjson.dumps(bad)[:-30] + b"}]\n")
    spool.append(records(shop.id, 5, "after"))
    spool.close()
    stats = flusher.drain(spool)
    assert stats.inserted == 9
    stored = clickhouse.query("SELECT product_id FROM event WHERE client_id = {c:Int32} ORDER BY product_id",
                              {"c": shop.id}).rows
    assert sorted(r[0] for r in stored) == sorted([f"before-{i}" for i in range(4)] + [f"after-{i}" for i in range(5)])
    assert "unreadable buffered entry" in caplog.text
    assert not spool.segments()


def test_an_entry_holds_one_shop(tmp_path):
    spool = Spool(tmp_path)
    with pytest.raises(ValueError):
        spool.append(records(1, 2, "a") + records(2, 2, "b"))
    assert spool.pending_events() == 0


def test_batches_name_their_shops_and_spans_without_parsing_events(tmp_path):
    spool = Spool(tmp_path)
    first = records(7, 3, "x")
    spool.append(first)
    spool.close()
    (batch,) = spool.read()
    (entry,) = batch.entries
    assert (entry.client_id, entry.count, batch.count) == (7, 3, 3)
    assert entry.first == min(r["created_at"] for r in first) and entry.last == max(r["created_at"] for r in first)
    assert batch.records_of([82]) == first and batch.records_of([62]) == []
