"""Event validation (pure), the dedup-by-event_id store on chDB, the catalog's API and command."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command

from events import catalog, clickhouse
from events.ingest.rows import COLUMNS, EventInvalid, normalize, phone_hash, to_row, uuid7
from events.ingest.store import insert_events, insert_records

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
KEY = b"k" * 32
SAMPLE = {"login_id": "kim", "keyword": "원피스", "category_id": "24", "product_id": "3", "order_id": "20260301-01",
          "board_id": "4", "scroll_bucket": 5, "tracking_id": "d-1"}


def ev(**fields):
    return {"event_type": 82, "uuid": str(uuid.uuid4()), "product_id": "3", **fields}


def check(event, **kw):
    return normalize(7, event, now=NOW, key=KEY, **kw)


def bad_field(event, **kw):
    with pytest.raises(EventInvalid) as info:
        check(event, **kw)
    assert info.value.message
    return info.value.field


@pytest.mark.parametrize("et", catalog.EVENT_TYPES, ids=lambda e: e.name)
def test_each_event_type_needs_its_required_fields(et):
    full = {"event_type": et.code, "uuid": str(uuid.uuid4()), **{f: SAMPLE[f] for f in et.required}}
    rec = check(full)
    assert rec["event_type"] == et.code and rec["client_id"] == 7
    assert check({**full, "event_type": et.name})["event_type"] == et.code
    for name in et.required:
        assert bad_field({k: v for k, v in full.items() if k != name}) == name


@pytest.mark.parametrize("fields,field", [
    ({"event_type": 99}, "event_type"),
    ({"event_type": "product_seen"}, "event_type"),
    ({"event_type": True}, "event_type"),
    ({"uuid": "not-a-uuid"}, "uuid"),
    ({"uuid": 12}, "uuid"),
    ({"session_id": "x"}, "session_id"),
    ({"event_id": ""}, "event_id"),
    ({"price": -1}, "price"),
    ({"price": 4_294_967_296}, "price"),
    ({"price": 10.5}, "price"),
    ({"price": "1,000"}, "price"),
    ({"product_quantity": 256}, "product_quantity"),
    ({"page": True}, "page"),
    ({"event_type": 91, "scroll_bucket": 11}, "scroll_bucket"),
    ({"product_id": "x" * 513}, "product_id"),
    ({"product_id": ["3"]}, "product_id"),
    ({"page_url": "h" * 2049}, "page_url"),
    ({"keyword": "a\x00b"}, "keyword"),
    ({"colour": "red"}, "colour"),
    ({"phone_number": "12"}, "phone_number"),
    ({"created_at": "yesterday"}, "created_at"),
    ({"created_at": "2026-03-01T12:06:00Z"}, "created_at"),
    ({"created_at": "2026-02-21T11:59:00Z"}, "created_at"),
    ({"client_id": 8}, "client_id"),
])
def test_bad_values_name_their_field(fields, field):
    assert bad_field(ev(**fields)) == field


def test_values_are_normalized():
    rec = check(ev(product_id=3, price="12000", amount=12000.0, page_url="h" * 2048, session_id=str(uuid.uuid4()).upper(),
                   created_at="2026-03-01T20:30:00+09:00", keyword=None, sort_by=""))
    assert rec["product_id"] == "3" and rec["price"] == 12000 and rec["amount"] == 12000
    assert rec["created_at"] == "2026-03-01 11:30:00.000000"
    assert rec["session_id"] == rec["session_id"].lower()
    assert "keyword" not in rec and "sort_by" not in rec
    assert check(ev(created_at="2026-03-01T11:00:00"))["created_at"] == "2026-03-01 11:00:00.000000"  # no offset = UTC
    ms = int(NOW.timestamp() * 1000) - 1500
    assert check(ev(created_at=ms))["created_at"] == "2026-03-01 11:59:58.500000"  # JS Date.now()
    assert check(ev())["created_at"] == "2026-03-01 12:00:00.000000"  # server time when absent


def test_history_is_allowed_only_for_imports():
    old = ev(created_at="2025-08-01T00:00:00+09:00")
    assert bad_field(old) == "created_at"
    assert check(old, history=True)["created_at"] == "2025-07-31 15:00:00.000000"
    assert bad_field(ev(created_at="2026-03-02T00:00:00Z"), history=True) == "created_at"  # future stays out


def test_phone_numbers_become_a_keyed_hash():
    rec = check(ev(event_type=10, login_id="kim", phone_number="010-1234-5678"))
    assert rec["phone_number"] == phone_hash("+82 10 1234 5678", KEY) == phone_hash("01012345678", KEY)
    assert "5678" not in rec["phone_number"]
    assert phone_hash("01012345678", b"other key" * 4) != rec["phone_number"]


def test_stored_event_ids_are_compact_minute_ordered_and_stable_for_a_resend():
    times = [(NOW - timedelta(seconds=i * 7)).isoformat() for i in range(50)]
    ids = [check(ev(created_at=t))["event_id"] for t in times]
    assert len(set(ids)) == 50
    # The id leads with the event's minute, so ids sort by time at minute precision.
    minutes = [int(i[:8], 16) for i in ids]
    assert minutes == sorted(minutes, reverse=True) and minutes[0] == int(NOW.timestamp()) // 60
    assert all(uuid.UUID(i).version == 8 for i in ids)
    supplied = str(uuid.uuid4())
    first = check(ev(event_id=supplied, created_at=times[0]))["event_id"]
    # The SDK's id is folded into the stored id: a resend maps to the same id, another shop not.
    assert first == check(ev(event_id=supplied, created_at=times[0]))["event_id"]
    assert first != normalize(8, ev(event_id=supplied, created_at=times[0]), now=NOW, key=KEY)["event_id"]
    assert first != check(ev(event_id=str(uuid.uuid4()), created_at=times[0]))["event_id"]
    # An id that is already in the stored layout (re-import of an export) is kept as is.
    assert check(ev(event_id=first, created_at=times[0]))["event_id"] == first
    # Events of one request without a time get distinct, ordered times and ids.
    batch = [check(ev(), seq=i) for i in range(5)]
    assert [r["created_at"] for r in batch] == sorted({r["created_at"] for r in batch})
    assert len({r["event_id"] for r in batch}) == 5
    assert uuid7(NOW).version == 7


def test_a_session_id_is_its_start_in_ms_and_never_handed_out_twice():
    from events.ingest.rows import new_session_id, session_start_ms

    sid = new_session_id(NOW)
    assert uuid.UUID(sid).version == 8 and sid.endswith("-8000-8000-000000000000")
    assert abs(session_start_ms(sid) - int(NOW.timestamp() * 1000)) <= 1
    # Visits opened in the same millisecond by one process still get distinct ids, in order.
    ids = [new_session_id(NOW) for _ in range(20)]
    assert len(set(ids + [sid])) == 21 and ids == sorted(ids)
    assert session_start_ms(str(uuid.uuid4())) is None  # an SDK's own UUID is accepted, not ours


@pytest.mark.django_db
def test_insert_events_is_idempotent(shop):
    rows = [to_row(shop.id, ev(created_at=f"2025-08-0{1 + i % 5}T10:00:00+09:00", product_id=str(i)), history=True)
            for i in range(200)]
    assert len(rows[0]) == len(COLUMNS)
    assert insert_events(rows) == 200
    assert insert_events(rows) == 0  # an import run twice
    assert insert_events(rows[:10] + rows[:10]) == 0
    count = clickhouse.query("SELECT count(), countDistinct(event_id) FROM event WHERE client_id = {c:Int32}",
                             {"c": shop.id}).rows[0]
    assert count == (200, 200)


@pytest.mark.django_db
def test_scattered_history_uses_the_id_lookup(shop):
    # More separate time ranges than the range scan handles: the chunked IN lookup takes over.
    recs = [normalize(shop.id, ev(created_at=(NOW - timedelta(hours=3 * i)).isoformat()), now=NOW, history=True)
            for i in range(150)]
    assert insert_records(recs) == 150
    assert insert_records(recs) == 0
    assert insert_records([*recs[:5], normalize(shop.id, ev(), now=NOW)]) == 1


@pytest.mark.django_db
def test_a_batch_retried_after_a_partial_insert_is_completed_not_doubled(shop):
    # The flusher stored part of a batch, then died before committing its buffer offset: the
    # retry of the whole batch must add exactly the missing events, with repeats inside it too.
    recs = [normalize(shop.id, ev()) for _ in range(30)]
    from events.ingest import store

    assert store.insert_records(recs[:12]) == 12
    assert store.insert_records([*recs, *recs[20:]]) == 18
    counts = clickhouse.query("SELECT count(), uniqExact(event_id) FROM event WHERE client_id = {c:Int32}",
                              {"c": shop.id}).rows[0]
    assert counts == (30, 30)


def test_a_process_that_died_mid_insert_leaves_no_block_file_behind_for_long(shop, settings):
    # A block waits in a file under VAR_DIR/inserts while its INSERT runs; a process killed
    # then leaves it behind (its events are still buffered and inserted again). The next
    # process's first insert removes such leftovers; a file of an insert running now (fresh)
    # is left alone, and an insert's own file is gone once it returns.
    import os
    import time

    from events.ingest import store

    inserts = settings.VAR_DIR / "inserts"
    inserts.mkdir(exist_ok=True)
    stale, fresh = inserts / "untitle-insert-dead.json", inserts / "untitle-insert-running.json"
    for path in (stale, fresh):
        path.write_bytes(b"[]" * 1000)
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    clickhouse._swept.discard(str(inserts))   # as in a new process

    assert store.insert_records([normalize(shop.id, ev()) for _ in range(3)]) == 3
    assert sorted(p.name for p in inserts.iterdir()) == [fresh.name]


def test_event_types_command_prints_the_catalog(capsys):
    call_command("event_types", "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in rows} >= {1, 31, 62, 82, 102}
    by_code = {r["code"]: r for r in rows}
    assert by_code[82]["name"] == "product_view_start" and by_code[82]["label_ko"] == "상품 조회 시작"
    assert by_code[82]["end_code"] == 83
    call_command("event_types")
    assert "장바구니 담기" in capsys.readouterr().out


@pytest.mark.django_db
def test_event_types_api_is_public_and_cacheable(client):
    resp = client.get("/api/v1/event-types")
    assert resp.status_code == 200
    assert "public" in resp["Cache-Control"] and "max-age=3600" in resp["Cache-Control"]
    codes = [e["code"] for e in resp.json()["event_types"]]
    assert codes == [e.code for e in catalog.EVENT_TYPES]


def test_ch_migrations_are_idempotent(db):
    from events import ch_migrate

    assert ch_migrate.migrate() == []
    cols = [r[0] for r in clickhouse.query("SELECT name FROM system.columns WHERE table = 'event' AND database = currentDatabase() ORDER BY position").rows]
    assert set(COLUMNS) <= set(cols)
    # The catalog's column list is the migrated table's, name for name and in table order.
    assert list(catalog.COLUMNS) == cols and COLUMNS is catalog.COLUMNS


@pytest.mark.django_db
def test_a_refused_write_through_the_read_helper_does_not_leave_the_thread_readonly(shop):
    with pytest.raises(Exception):
        clickhouse.query("INSERT INTO event (client_id) VALUES (1)")
    assert insert_records([normalize(shop.id, ev())]) == 1
