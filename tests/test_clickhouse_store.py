import uuid
from datetime import datetime, timezone

import pytest

from events import clickhouse


@pytest.mark.django_db
def test_event_table_exists_and_reads_are_readonly(shop):
    row = [uuid.uuid4(), shop.id, uuid.uuid4(), 82, "3", datetime(2025, 8, 1, tzinfo=timezone.utc)]
    clickhouse.insert("event", [row], ["event_id", "client_id", "uuid", "event_type", "product_id", "created_at"])
    rows = clickhouse.query(
        "SELECT count() FROM event WHERE client_id = {cid:Int32} AND event_type = 82", {"cid": shop.id}
    ).rows
    assert rows == [(1,)]
    with pytest.raises(Exception):
        clickhouse.query("INSERT INTO event (client_id) VALUES (1)")
