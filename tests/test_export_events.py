"""Raw event export: CSV / Parquet downloads of a local-date range, streamed, audited, tenant-safe."""
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from events import clickhouse
from events.exporting import EXPORT_COLUMNS
from events.ingest.rows import compact_id
from tenants.models import AuditEntry, Role
from tests.factories import make_client, make_member

BEFORE_MIDNIGHT = datetime(2025, 8, 30, 14, 59, 59, 999999, tzinfo=timezone.utc)  # 08-30 23:59:59 KST
AT_MIDNIGHT = datetime(2025, 8, 30, 15, 0, tzinfo=timezone.utc)  # 08-31 00:00 KST
# Stored ids have the time-ordered layout of events/ingest/rows.py.
MARK_BEFORE, MARK_AT = (
    compact_id((ts - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1), k)
    for k, ts in ((1, BEFORE_MIDNIGHT), (2, AT_MIDNIGHT)))


def _window_ids(client, lo="2025-08-30 15:00:00", hi="2025-08-31 15:00:00"):
    rows = clickhouse.query(
        "SELECT toString(event_id) FROM event WHERE client_id = {cid:Int32}"
        " AND created_at >= {lo:DateTime64(6, 'UTC')} AND created_at < {hi:DateTime64(6, 'UTC')}",
        {"cid": client.pk, "lo": lo, "hi": hi}).rows
    return {r[0] for r in rows}


@pytest.fixture
def data(shop, other_shop):
    for c in (shop, other_shop):
        call_command("generate_events", client_id=c.pk, days=3, visitors=80, seed=2, end="2025-08-31")
    marks = [[uuid.UUID(mark), shop.pk, uuid.UUID(int=99), 31, "/", ts]
             for mark, ts in ((MARK_BEFORE, BEFORE_MIDNIGHT), (MARK_AT, AT_MIDNIGHT))]
    clickhouse.insert("event", marks, ["event_id", "client_id", "uuid", "event_type", "page_url", "created_at"])
    return shop


def _body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_marketer_downloads_a_day_as_csv_in_local_dates(data, other_shop, marketer, login):
    web = login(marketer)
    response = web.get(f"/c/{data.slug}/events/export/", {"start": "2025-08-31", "end": "2025-08-31", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{data.slug}-events-20250831-20250831.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert list(rows[0].keys()) == list(EXPORT_COLUMNS)
    assert "phone_number" not in rows[0]
    ids = {r["event_id"] for r in rows}
    expected = _window_ids(data)
    assert ids == expected and len(rows) == len(expected) > 500
    # Local-midnight bounds: 00:00 KST is in, 23:59:59.999999 KST the day before is out.
    assert MARK_AT in ids and MARK_BEFORE not in ids
    assert not ids & _window_ids(other_shop)
    assert all(r["created_at"].endswith("Z") and "T" in r["created_at"] for r in rows)
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)
    mark = next(r for r in rows if r["event_id"] == MARK_AT)
    assert mark["created_at"] == "2025-08-30T15:00:00.000000Z"
    assert mark["product_id"] == "" and mark["page_url"] == "/"
    entry = AuditEntry.objects.get(client=data, action="events.export")
    assert entry.actor == marketer and entry.ip_address == "127.0.0.1"
    assert entry.details == {"format": "csv", "start": "2025-08-31", "end": "2025-08-31", "via": "web"}


@pytest.mark.django_db
def test_owner_downloads_parquet_through_the_api(data, other_shop, owner, login):
    api = login(owner)
    response = api.get(f"/api/v1/clients/{data.pk}/events/export",
                       {"start": "2025-08-29", "end": "2025-08-31", "format": "parquet"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    body = _body(response)
    assert body[:4] == b"PAR1" and body[-4:] == b"PAR1"
    table = pq.read_table(io.BytesIO(body))
    assert table.column_names == list(EXPORT_COLUMNS)
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    everything = _window_ids(data, "2025-08-28 15:00:00", "2025-08-31 15:00:00")
    assert set(table.column("event_id").to_pylist()) == everything
    assert table.num_rows == len(everything)
    assert not everything & _window_ids(other_shop, "2025-08-28 15:00:00", "2025-08-31 15:00:00")
    orders = [r for r in table.to_pylist() if r["event_type"] == 62]
    assert orders and all(r["amount"] == r["price"] * r["product_quantity"] for r in orders)
    assert AuditEntry.objects.get(client=data, action="events.export").details["via"] == "api"


@pytest.mark.django_db
def test_an_empty_range_still_gives_valid_files(shop, owner, login):
    web = login(owner)
    csv_body = _body(web.get(f"/c/{shop.slug}/events/export/", {"start": "2024-01-01", "end": "2024-01-02"}))
    assert csv_body.decode() == ",".join(EXPORT_COLUMNS) + "\n"
    pq_body = _body(web.get(f"/c/{shop.slug}/events/export/",
                            {"start": "2024-01-01", "end": "2024-01-01", "format": "parquet"}))
    assert pq.read_table(io.BytesIO(pq_body)).num_rows == 0


@pytest.mark.django_db
def test_viewer_is_refused_and_nothing_is_audited(shop, viewer, login):
    web = login(viewer)
    page = web.get(f"/c/{shop.slug}/events/export/", {"start": "2025-08-31", "end": "2025-08-31"})
    assert page.status_code == 403
    api = web.get(f"/api/v1/clients/{shop.pk}/events/export", {"start": "2025-08-31", "end": "2025-08-31"})
    assert api.status_code == 403
    assert "마케터" in api.json()["detail"]
    assert not AuditEntry.objects.filter(action="events.export").exists()


@pytest.mark.django_db
def test_another_shops_export_is_not_found(shop, other_shop, owner, login):
    api = login(owner)
    response = api.get(f"/api/v1/clients/{other_shop.pk}/events/export", {"start": "2025-08-31", "end": "2025-08-31"})
    assert response.status_code == 404
    page = api.get(f"/c/{other_shop.slug}/events/export/", {"start": "2025-08-31", "end": "2025-08-31"})
    assert page.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("params, message", [
    ({"start": "2025-08-31", "end": "2025-08-01"}, "시작일이 종료일보다 늦습니다"),
    ({"start": "2025-01-01", "end": "2025-04-03"}, "최대 92일"),
    ({"start": "2025-08-01", "end": "2025-08-02", "format": "xlsx"}, "csv 또는 parquet"),
    ({"start": "08/01/2025", "end": "2025-08-02"}, "YYYY-MM-DD"),
    ({"start": "2025-08-01"}, "시작일과 종료일"),
])
def test_bad_ranges_answer_400_with_a_korean_message(shop, marketer, login, params, message):
    web = login(marketer)
    page = web.get(f"/c/{shop.slug}/events/export/", params)
    assert page.status_code == 400 and message in page.content.decode()
    api = web.get(f"/api/v1/clients/{shop.pk}/events/export", params)
    assert api.status_code == 400 and message in api.json()["detail"]
    assert not AuditEntry.objects.filter(action="events.export").exists()


@pytest.mark.django_db
def test_92_days_is_allowed_and_the_form_page_renders(shop, marketer, login):
    web = login(marketer)
    ok = web.get(f"/c/{shop.slug}/events/export/", {"start": "2025-01-01", "end": "2025-04-02"})
    assert ok.status_code == 200
    _body(ok)
    form = web.get(f"/c/{shop.slug}/events/export/")
    assert form.status_code == 200 and 'data-testid="export-form"' in form.content.decode()


@pytest.mark.django_db
def test_a_csv_export_imports_back_into_another_shop_unchanged(data, owner, login, tmp_path):
    web = login(owner)
    body = _body(web.get(f"/c/{data.slug}/events/export/", {"start": "2025-08-29", "end": "2025-08-31"}))
    path = tmp_path / "export.csv"
    path.write_bytes(body)
    target = make_client("가게 C")
    make_member(target, Role.OWNER)
    call_command("import_events", "--client-id", str(target.pk), str(path))

    def content(client):
        return clickhouse.query(
            "SELECT " + ", ".join(c for c in EXPORT_COLUMNS) +
            " FROM event WHERE client_id = {cid:Int32} ORDER BY created_at, event_type, event_id",
            {"cid": client.pk}).rows

    assert content(target) == content(data)


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_download_streams_chunk_by_chunk(data, marketer):
    """The embedded run serves Django over ASGI: the file must arrive as an async stream of chunks,
    not be read whole before the first byte."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def download():
        web = AsyncClient()
        await web.aforce_login(marketer)
        response = await web.get(f"/c/{data.slug}/events/export/", {"start": "2025-08-29", "end": "2025-08-31"})
        assert response.status_code == 200 and response.is_async
        return [chunk async for chunk in response.streaming_content]

    chunks = async_to_sync(download)()
    assert len(chunks) > 3  # header, then several pieces per day
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert {r["event_id"] for r in rows} == _window_ids(data, "2025-08-28 15:00:00", "2025-08-31 15:00:00")


@pytest.mark.django_db
def test_streamed_reads_run_readonly_with_a_time_limit(shop):
    got = b"".join(clickhouse.stream([("SELECT getSetting('readonly'), getSetting('max_execution_time')", {})]))
    assert got.decode().split(",")[0] == "2"
    with pytest.raises(Exception, match="TIMEOUT_EXCEEDED|Timeout exceeded"):
        b"".join(clickhouse.stream([("SELECT sleep(2)", {})], settings_={"max_execution_time": 1}))


@pytest.mark.django_db
def test_store_down_answers_503_before_streaming(shop, marketer, login, settings):
    settings.CLICKHOUSE_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
    web = login(marketer)
    try:
        page = web.get(f"/c/{shop.slug}/events/export/", {"start": "2025-08-31", "end": "2025-08-31"})
        api = web.get(f"/api/v1/clients/{shop.pk}/events/export", {"start": "2025-08-31", "end": "2025-08-31"})
    finally:
        clickhouse.reset_clients()
    assert page.status_code == 503 and "이벤트 저장소" in page.content.decode()
    assert api.status_code == 503 and "이벤트 저장소" in api.json()["detail"]
    assert not AuditEntry.objects.filter(action="events.export").exists()
