"""Segments: refresh writes versioned snapshots in ClickHouse, entered / left between versions,
the campaigns' hand-off iterator, streamed exports masked by role and audited, signed webhooks."""
import csv
import hashlib
import hmac
import io
import json

import httpx
import pytest
import respx

from insights.segments import selectors
from insights.segments import services as segments
from insights.segments.selectors import segment_members as members
from insights.models import SegmentSnapshot
from tenants.models import AuditEntry
from tests.audience_support import CART_NO_ORDER, TODAY, days_ago, put, shop_story, visitor

pytestmark = pytest.mark.django_db


def refresh(seg):
    return segments.segment_refresh(segment_id=seg.pk, today=TODAY)


def test_refresh_versions_with_entered_and_left(shop, marketer):
    story = shop_story(shop)
    seg = segments.segment_create(client=shop, name="장바구니 이탈", rules=CART_NO_ORDER, actor=marketer)
    s1 = refresh(seg)
    assert (s1.status, s1.version, s1.size, s1.entered, s1.left) == ("succeeded", 1, 3, 3, 0)
    assert sorted(u for u, _m in members(client=shop, segment=seg)) == story["carters"]

    # one carter orders (leaves), a new visitor carts (enters)
    leaver, newcomer = story["carters"][0], visitor()
    put(shop, [(leaver, 62, days_ago(1), {"product_id": "1", "order_id": "x1", "amount": 1000}),
               (newcomer, 41, days_ago(1), {"product_id": "3"})])
    s2 = refresh(seg)
    assert (s2.version, s2.size, s2.entered, s2.left) == (2, 3, 1, 1)
    ch = selectors.segment_changes(client=shop, segment=seg, kind="entered", membership=marketer.memberships.get())
    assert [r["uuid"] for r in ch["rows"]] == [str(newcomer)]
    ch = selectors.segment_changes(client=shop, segment=seg, kind="left", membership=marketer.memberships.get())
    assert [r["uuid"] for r in ch["rows"]] == [leaver]
    assert sorted(u for u, _m in members(client=shop, segment=seg)) == sorted(story["carters"][1:] + [str(newcomer)])


def test_old_versions_are_dropped(shop, monkeypatch, django_capture_on_commit_callbacks):
    shop_story(shop)
    monkeypatch.setattr(segments, "KEEP_VERSIONS", 2)
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER)
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            refresh(seg)
    from events import clickhouse
    rows = clickhouse.query("SELECT DISTINCT version FROM segment_member WHERE client_id = {c:Int32} "
                            "AND segment_id = {s:Int64} ORDER BY version", {"c": shop.pk, "s": seg.pk}).rows
    assert [r[0] for r in rows] == [3, 4]
    assert SegmentSnapshot.objects.filter(segment=seg).count() == 4  # the size history keeps every refresh
    assert len(list(members(client=shop, segment=seg))) == 3  # the latest version is intact


def test_member_ids_are_kept_and_masked_for_viewers(shop, marketer, viewer, login):
    shop_story(shop)
    rules = {"op": "and", "items": [{"filter": "order_count", "params": {"days": 7}}]}
    seg = segments.segment_create(client=shop, name="구매자", rules=rules)
    refresh(seg)
    url = f"/api/v1/clients/{shop.pk}/segments/{seg.pk}/export?as=csv"
    body = b"".join(login(marketer).get(url).streaming_content).decode()
    got = sorted(r["member_id"] for r in csv.DictReader(io.StringIO(body)))
    assert got == ["member0001", "member0002"]

    res = login(viewer).get(url)
    assert res.status_code == 200
    body = b"".join(res.streaming_content).decode()
    assert sorted(r["member_id"] for r in csv.DictReader(io.StringIO(body))) == ["me******01", "me******02"]
    res = login(viewer).get(url.replace("as=csv", "as=json"))
    rows = json.loads(b"".join(res.streaming_content))
    assert sorted(r["member_id"] for r in rows) == ["me******01", "me******02"]
    audits = AuditEntry.objects.filter(client=shop, action="segment.export").order_by("id")
    assert [(a.details["format"], a.details["pii"]) for a in audits] == [("csv", True), ("csv", False), ("json", False)]


def test_export_before_any_refresh_says_so(shop, marketer, login):
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER)
    res = login(marketer).get(f"/api/v1/clients/{shop.pk}/segments/{seg.pk}/export?as=csv")
    assert res.status_code == 409 and "갱신" in res.json()["detail"]


@respx.mock
def test_webhook_is_signed_and_failures_raise_for_retry(shop):
    shop_story(shop)
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER, webhook_url="https://hooks.example/x")
    refresh(seg)
    route = respx.post("https://hooks.example/x").mock(return_value=httpx.Response(204))
    assert segments.segment_webhook_push(segment_id=seg.pk) == 3
    req = route.calls.last.request
    ts, sig = req.headers["X-Untitle-Timestamp"], req.headers["X-Untitle-Signature"]
    want = hmac.new(seg.webhook_secret.encode(), ts.encode() + b"." + req.content, hashlib.sha256).hexdigest()
    assert sig == f"sha256={want}"
    payload = json.loads(req.content)
    assert payload["size"] == 3 and len(payload["members"]) == 3 and payload["segment_id"] == seg.pk

    respx.post("https://hooks.example/x").mock(return_value=httpx.Response(503))
    with pytest.raises(segments.WebhookFailed):
        segments.segment_webhook_push(segment_id=seg.pk)
    assert AuditEntry.objects.filter(client=shop, action="segment.webhook").count() == 2


@respx.mock
def test_webhook_task_retries_while_the_receiver_fails(shop, monkeypatch):
    from celery.exceptions import Retry

    from insights.tasks import push_segment_webhook

    shop_story(shop)
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER, webhook_url="https://hooks.example/y")
    refresh(seg)
    respx.post("https://hooks.example/y").mock(return_value=httpx.Response(500))
    calls = []
    monkeypatch.setattr(push_segment_webhook, "retry", lambda exc=None, countdown=None: calls.append(countdown) or Retry())
    with pytest.raises(Retry):
        push_segment_webhook.run(seg.pk, 1)
    assert calls == [30]  # then 60, 120 ... (exponential back-off)


def test_schedule_is_a_beat_task_in_the_shops_timezone(shop):
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER, schedule="30 7 * * 1")
    task = seg.periodic_task
    assert task.task == "insights.tasks.refresh_segment" and json.loads(task.args) == [seg.pk]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "7", "1")
    assert str(task.crontab.timezone) == shop.timezone
    seg = segments.segment_update(segment=seg, schedule="")
    assert seg.periodic_task is None
