"""Real time: orders posted to the collector -> flush -> ONE task per batch on a real Celery worker
-> the customer's RFM and segment updated with the stored model. A failing hook loses nothing."""
import time
import uuid

import pytest
from celery.signals import before_task_publish

import customers.tasks  # noqa: F401  - registers the shared tasks before the test app finalizes
from customers import selectors, services
from customers.models import SegmentMove
from events import clickhouse
from events.ingest import flusher
from tests.collector_support import call, key_headers, use_spool
from tests.customers_support import shop_population

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _order_batch(login_id, visitor, n_orders, amount):
    events = []
    for i in range(n_orders):
        oid = f"rt-{login_id}-{i}"
        for line in range(2):  # two lines per order: still one order
            events.append({"event_type": "order_complete", "order_id": oid, "product_id": str(line + 1),
                           "price": amount // 2, "product_quantity": 1, "amount": amount // 2, "login_id": login_id,
                           "event_id": str(uuid.uuid4())})
    return {"uuid": visitor, "session_id": str(uuid.uuid4()), "events": events}


def test_ingested_orders_rescore_the_customer_through_the_worker(celery_worker, shop, settings, tmp_path):
    shop_population(shop)
    services.model_fit(client=shop)
    assert selectors.profile_get(client=shop, customer_key="sleep03").segment == "dormant"
    buffer = use_spool(settings, tmp_path)
    published = []

    def count(sender=None, **_kw):
        if sender == "customers.tasks.score_recent_orders":
            published.append(sender)

    before_task_publish.connect(count, weak=False)
    try:
        visitor = str(uuid.uuid4())
        responses = call([
            ("POST", "/api/v1/events", {"json": _order_batch("sleep03", visitor, 14, 640_000),
                                        "headers": key_headers(shop)}),
            ("POST", "/api/v1/events", {"json": {"uuid": visitor, "events": [
                {"event_type": "product_view_start", "product_id": "9", "event_id": str(uuid.uuid4())}]},
                "headers": key_headers(shop)}),
        ])
        assert all(r.status_code == 202 for r in responses)
        started = time.monotonic()
        stats = flusher.drain(buffer)
        assert stats.inserted == 29
        deadline = started + 30
        while time.monotonic() < deadline:
            p = selectors.profile_get(client=shop, customer_key="sleep03")
            if p.segment != "dormant":
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        before_task_publish.disconnect(count)
    assert p.segment == "vip", p.probabilities
    assert p.frequency == 2 + 14 and p.recency_days == 0 and p.model_version == 1
    assert elapsed < 30
    assert len(published) == 1  # one task for the whole batch, not one per event
    move = SegmentMove.objects.get(client=shop, customer_key="sleep03", reason="order")
    assert (move.from_segment, move.to_segment) == ("dormant", "vip")


def test_a_failing_hook_neither_loses_nor_repeats_events(shop, settings, tmp_path):
    settings.EVENT_INSERTED_HOOKS = ["tests.test_customers_realtime:exploding_hook"]
    buffer = use_spool(settings, tmp_path)
    visitor = str(uuid.uuid4())
    resp = call([("POST", "/api/v1/events", {"json": _order_batch("m1", visitor, 3, 10_000),
                                             "headers": key_headers(shop)})])[0]
    assert resp.status_code == 202
    assert flusher.drain(buffer).inserted == 6
    assert flusher.drain(buffer).read == 0  # committed despite the hook: nothing read again
    n = clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": shop.pk}).rows[0][0]
    assert n == 6


def exploding_hook(batch):
    raise RuntimeError("hook bug")
