"""import_events: NDJSON and CSV files into the event table, idempotent, all-or-nothing on bad rows."""
import json
import uuid
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command

from events import clickhouse
from tenants.models import AuditEntry

VISITOR = "0b6f1c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e"
OTHER_VISITOR = "7d3b9a10-2c4e-4f6a-9b8c-1d2e3f405162"


def _run(client, path, *extra):
    from io import StringIO

    out = StringIO()
    call_command("import_events", "--client-id", str(client.pk), str(path), "--format", "json", *extra, stdout=out)
    return json.loads(out.getvalue())


def _events(client):
    return clickhouse.query(
        "SELECT toString(event_id), event_type, toString(uuid), product_id, price, login_id, created_at"
        " FROM event WHERE client_id = {cid:Int32} ORDER BY created_at, event_type", {"cid": client.pk}).rows


@pytest.fixture
def ndjson(tmp_path):
    rows = [
        {"event_type": 82, "uuid": VISITOR, "product_id": "3", "price": 39000, "created_at": "2025-08-01T10:00:00"},
        {"event_type": "cart_add", "uuid": VISITOR, "product_id": "3", "price": 39000, "product_quantity": 2,
         "created_at": "2025-08-01T19:05:00+09:00"},
        {"event_type": 10, "uuid": OTHER_VISITOR, "login_id": "member0007", "created_at": "2025-08-02T00:00:00Z",
         "event_id": "11111111-2222-4333-8444-555555555555"},
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    return path


@pytest.mark.django_db
def test_ndjson_import_stores_utc_times_generated_ids_and_is_idempotent(shop, ndjson):
    out = _run(shop, ndjson)
    assert (out["format"], out["rows"], out["inserted"], out["skipped_existing"], out["generated_ids"]) == \
        ("ndjson", 3, 3, 0, 2)
    rows = _events(shop)
    assert [r[1] for r in rows] == [82, 41, 10]
    # No offset means UTC; +09:00 is converted.
    assert rows[0][6] == datetime(2025, 8, 1, 10, 0)
    assert rows[1][6] == datetime(2025, 8, 1, 10, 5)
    assert all(uuid.UUID(r[0]) for r in rows)
    assert len({r[0] for r in rows}) == 3
    assert rows[0][2] == VISITOR and rows[0][3] == "3" and rows[0][4] == 39000
    assert rows[2][5] == "member0007"

    again = _run(shop, ndjson)
    assert (again["inserted"], again["skipped_existing"]) == (0, 3)
    assert _events(shop) == rows
    assert AuditEntry.objects.filter(client=shop, action="events.import").count() == 2


@pytest.mark.django_db
def test_csv_import_with_bom_and_empty_cells_matches_the_ndjson_ids(shop, other_shop, ndjson, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "\ufeffevent_type,uuid,product_id,price,product_quantity,login_id,created_at,event_id\n"
        f"82,{VISITOR},3,39000,,,2025-08-01T10:00:00,\n"
        f"cart_add,{VISITOR},3,39000,2,,2025-08-01T19:05:00+09:00,\n"
        f"10,{OTHER_VISITOR},,,,member0007,2025-08-02T00:00:00Z,11111111-2222-4333-8444-555555555555\n",
        encoding="utf-8",
    )
    _run(shop, ndjson)
    out = _run(shop, path)
    # Same events as the NDJSON file -> same generated ids -> nothing new.
    assert (out["format"], out["rows"], out["inserted"]) == ("csv", 3, 0)
    # Another client gets its own copy; event ids are salted with the client.
    out = _run(other_shop, path)
    assert out["inserted"] == 3
    mine, theirs = _events(shop), _events(other_shop)
    assert [r[1:] for r in mine] == [r[1:] for r in theirs]
    assert {r[0] for r in mine[:2]}.isdisjoint({r[0] for r in theirs[:2]})


@pytest.mark.django_db
@pytest.mark.parametrize("bad_line, message", [
    ('{"event_type": 82, "uuid": "%s", "product_id": "3", "created_at": "yesterday"}' % VISITOR,
     "line 3: created_at"),
    ('{"event_type": 82, "uuid": "%s", "created_at": "2025-08-01T00:00:00"}' % VISITOR, "line 3: product_id"),
    ('{"event_type": 82, "uuid": "%s", "product_id": "3", "colour": "red", "created_at": "2025-08-01T00:00:00"}'
     % VISITOR, "line 3: colour"),
    ('{"event_type": 999, "uuid": "%s", "created_at": "2025-08-01T00:00:00"}' % VISITOR, "line 3: event_type"),
    ('{"event_type": 82, "uuid": "%s", "product_id": "3"}' % VISITOR, "line 3: created_at"),
    ('{"event_type": 82, "uuid": "not-a-uuid", "product_id": "3", "created_at": "2025-08-01T00:00:00"}',
     "line 3: uuid"),
    ("{not json", "line 3: JSON"),
    ("[1, 2]", "line 3:"),
])
def test_a_bad_row_names_its_line_and_nothing_is_imported(shop, ndjson, tmp_path, bad_line, message):
    lines = ndjson.read_text().splitlines()[:2] + [bad_line]
    path = tmp_path / "bad.ndjson"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as exc:
        _run(shop, path)
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)
    assert _events(shop) == []


@pytest.mark.django_db
def test_csv_problems_and_other_bad_input(shop, other_shop, tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text(f"event_type,uuid,created_at\n1,{VISITOR},2025-08-01T00:00:00,surprise\n")
    with pytest.raises(CommandError, match=r"^line 2: "):
        _run(shop, extra)
    wrong_client = tmp_path / "wrong.csv"
    wrong_client.write_text(f"client_id,event_type,uuid,created_at\n{other_shop.pk},1,{VISITOR},2025-08-01T00:00:00\n")
    with pytest.raises(CommandError, match=r"^line 2: client_id"):
        _run(shop, wrong_client)
    with pytest.raises(CommandError, match="파일이 없습니다"):
        _run(shop, tmp_path / "missing.ndjson")
    with pytest.raises(CommandError, match="no client with id 999999"):
        call_command("import_events", "--client-id", "999999", str(extra))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("event_type,uuid,created_at,keyword\n20,x,2025-08-01,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        _run(shop, latin)
    assert _events(shop) == []


@pytest.mark.django_db
def test_a_supplied_event_id_is_the_identity_of_the_event(shop, tmp_path):
    path = tmp_path / "a.ndjson"
    row = {"event_type": 82, "uuid": VISITOR, "product_id": "3", "created_at": "2025-08-01T00:00:00",
           "event_id": "11111111-2222-4333-8444-555555555555"}
    path.write_text(json.dumps(row))
    assert _run(shop, path)["inserted"] == 1
    # The source system resent the event with a corrected field: still the same event.
    path.write_text(json.dumps({**row, "product_id": "4"}))
    assert _run(shop, path)["inserted"] == 0
    path.write_text(json.dumps({**row, "event_id": "11111111-2222-4333-8444-555555555556"}))
    assert _run(shop, path)["inserted"] == 1
    assert [r[3] for r in _events(shop)] == ["3", "3"]


@pytest.mark.django_db
def test_generated_ids_are_stable_across_runs_for_the_same_content(shop, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"event_type": 1, "uuid": VISITOR, "page_url": "/", "created_at": "2025-08-01T00:00:00"}))
    _run(shop, path)
    first = _events(shop)[0][0]
    # Same event written differently (offset form of the same instant, key order) -> same id.
    path.write_text('{"created_at": "2025-08-01T09:00:00+09:00", "page_url": "/", "uuid": "%s", "event_type": '
                    '"session_start"}' % VISITOR)
    assert _run(shop, path)["inserted"] == 0
    assert [r[0] for r in _events(shop)] == [first]
