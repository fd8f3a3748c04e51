"""Spike and drop alerts end to end on the real chDB and Postgres: scans, one alert per surge,
notifications (in-app, e-mail, signed webhook faked at the HTTP layer), mutes, cached Gemini
explanations, pages, API and the command line."""
import hashlib
import hmac
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import respx
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts import services
from alerts.models import Alert, Notification
from events import clickhouse
from tenants.models import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

AT = datetime(2025, 9, 30, 6, 0, tzinfo=timezone.utc)     # 15:00 in Seoul
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent"
COLUMNS = ["event_id", "client_id", "uuid", "event_type", "product_id", "category_id", "keyword", "order_id",
           "created_at"]


def steady(client, event_type: int, per_bucket: int, *, at=AT, product_id=None, category_id=None, keyword=None,
           silent_from=None, through=None):
    """``per_bucket`` events in every 5-minute bucket a scan at ``at`` reads (the last two hours,
    yesterday and a week ago around the same time), today's until ``through`` (default ``at``);
    none from ``silent_from`` on."""
    rows = []
    for lag in (timedelta(0), timedelta(days=1), timedelta(days=7)):
        start = at - lag - timedelta(hours=2, minutes=5)
        end = at - lag + timedelta(hours=2) if lag else (through or at)
        t = start
        while t < end:
            if silent_from is None or not (silent_from <= t < at):
                for j in range(per_bucket):
                    order_id = f"o-{uuid.uuid4().hex[:12]}" if event_type == 62 else None
                    rows.append([uuid.uuid4(), client.pk, uuid.uuid4(), event_type, product_id, category_id, keyword,
                                 order_id, t + timedelta(seconds=7 * j + 1)])
            t += timedelta(minutes=5)
    clickhouse.insert("event", rows, COLUMNS)


def burst(client, n: int, *, product_id="7", at=AT, event_type=82, tracking_id=None):
    rows = [[uuid.uuid4(), client.pk, uuid.uuid4(), event_type, product_id, "3", None, None,
             at - timedelta(seconds=290 - i % 280)] for i in range(n)]
    clickhouse.insert("event", rows, COLUMNS)


def shop_traffic(client, through=AT + timedelta(minutes=15)):
    for p, rate in (("1", 12), ("2", 6), ("7", 3), ("9", 2)):
        steady(client, 82, rate, product_id=p, category_id="3", through=through)
    steady(client, 62, 3, product_id="1", through=through)
    steady(client, 20, 2, keyword="니트", through=through)


def alerts_of(client, **kw):
    return list(Alert.objects.filter(client=client, **kw).exclude(level="CANDIDATE"))


def test_a_surge_is_one_alert_that_updates_while_it_lasts(shop, other_shop):
    shop_traffic(shop)
    shop_traffic(other_shop)
    burst(shop, 60)

    first = services.scan_client(client=shop, at=AT)
    product = [a for a in alerts_of(shop) if a.entity_kind == "product"]
    assert [(a.entity_id, a.metric, a.level, a.state) for a in product] == [("7", "views", "SPIKE", "open")]
    alert = product[0]
    assert alert.observed == 63 and alert.expected == pytest.approx(3, abs=0.5)
    assert alert.baselines["short"] == 3 and alert.baselines["yesterday"] == 3 and alert.baselines["week"] == 3
    assert alert.start_bucket == AT - timedelta(minutes=5)
    assert alerts_of(other_shop) == []                      # the other shop's traffic is calm

    again = services.scan_client(client=shop, at=AT)        # beat retried: nothing changes
    assert again.skipped and len(alerts_of(shop)) == len(alerts_of(shop, state="open"))

    burst(shop, 70, at=AT + timedelta(minutes=5))
    services.scan_client(client=shop, at=AT + timedelta(minutes=5))
    alert.refresh_from_db()
    assert alert.scans == 2 and alert.peak == 73 and alert.state == "open"
    assert len([a for a in alerts_of(shop) if a.entity_kind == "product"]) == 1
    assert first.series > 10


def test_orders_stopping_while_views_go_on_is_a_drop_called_a_broken_checkout(shop):
    for p, rate in (("1", 12), ("2", 6)):
        steady(shop, 82, rate, product_id=p, category_id="3")
    steady(shop, 62, 6, product_id="1", silent_from=AT - timedelta(minutes=30))
    services.scan_client(client=shop, at=AT)
    drops = alerts_of(shop, level="DROP")
    assert ("shop", "orders") in {(a.entity_kind, a.metric) for a in drops}
    shop_orders = next(a for a in drops if (a.entity_kind, a.metric) == ("shop", "orders"))
    assert shop_orders.observed == 0
    assert "결제" in shop_orders.explanation        # views go on: the checkout is suspect
    assert not any(a.metric == "views" for a in alerts_of(shop))


def test_a_product_whose_views_double_for_an_hour_is_one_spike_alert(shop):
    # x2 on a mid product (8 views per 5 minutes): no single bucket stands out, and after half
    # an hour the doubled buckets are half of the last hour's baseline; the hour against the
    # hour before it and yesterday's does stand out
    shop_traffic(shop, through=AT)
    for p in range(20, 30):          # the long tail of a catalogue: the metric's typical size
        steady(shop, 82, 1, product_id=str(p), category_id="4")
    steady(shop, 82, 8, product_id="5", category_id="3")
    rows = [[uuid.uuid4(), shop.pk, uuid.uuid4(), 82, "5", "3", None, None, AT - timedelta(minutes=60) + timedelta(seconds=37 * i)]
            for i in range(96)]                  # +8 a bucket over the last 12 buckets
    clickhouse.insert("event", rows, COLUMNS)
    services.scan_client(client=shop, at=AT)
    assert [(a.entity_kind, a.entity_id, a.level) for a in alerts_of(shop, metric="views")
            if a.entity_kind == "product"] == [("product", "5", "SPIKE")]


@respx.mock
def test_notifications_go_to_the_app_email_and_a_signed_webhook_once(shop, owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.notification_settings_update(client=shop, actor=owner, email_enabled=True,
                                          email_recipients=["mkt@example.com"], webhook_enabled=True,
                                          webhook_url="https://hooks.example/alerts", webhook_secret="s3cret")
    hook = respx.post("https://hooks.example/alerts").mock(return_value=httpx.Response(204))
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)

    alert = next(a for a in alerts_of(shop) if a.entity_kind == "product")
    channels = {n.channel: n.ok for n in Notification.objects.filter(alert=alert)}
    assert channels == {"in_app": True, "email": True, "webhook": True}
    assert any("상품 '7'" in m.subject for m in mail.outbox)
    sent = [c.request for c in hook.calls if json.loads(c.request.content)["alert"]["id"] == alert.pk]
    assert len(sent) == 1
    body = sent[0].content
    ts = sent[0].headers["X-Untitle-Timestamp"]
    expected = "sha256=" + hmac.new(b"s3cret", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert sent[0].headers["X-Untitle-Signature"] == expected
    payload = json.loads(body)["alert"]
    assert payload["entity"] == "product:7" and payload["level"] == "SPIKE" and payload["observed"] == 63

    # the surge goes on: no second delivery
    calls = hook.call_count
    burst(shop, 70, at=AT + timedelta(minutes=5))
    services.scan_client(client=shop, at=AT + timedelta(minutes=5))
    assert hook.call_count == calls
    assert Notification.objects.filter(alert=alert).count() == 3


def test_a_muted_series_is_listed_but_not_notified(shop, marketer):
    services.alert_mute_create(client=shop, actor=marketer, hours=4, entity_kind="product", entity_id="7",
                               metric="views")
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = next(a for a in alerts_of(shop) if a.entity_kind == "product")
    assert alert.muted and not Notification.objects.filter(alert=alert).exists()
    with pytest.raises(ValueError, match="시간"):
        services.alert_mute_create(client=shop, actor=marketer, hours=0)


def _gemini_body(text: str) -> dict:
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 500, "candidatesTokenCount": 40, "totalTokenCount": 540}}


@respx.mock
def test_gemini_explanations_are_cached_per_series_and_bucket_and_count_the_calls_saved(shop, settings):
    settings.GEMINI_API_KEY, settings.GEMINI_MODEL = "test-key", "gemini-3.5-flash"
    cache.clear()
    gemini = respx.post(GEMINI_URL).mock(return_value=httpx.Response(
        200, json=_gemini_body("상품 7 조회가 캠페인 cmp-1 클릭으로 늘었습니다.")))
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = next(a for a in alerts_of(shop) if a.entity_kind == "product")
    assert alert.explanation_source == "gemini" and "cmp-1" in alert.explanation
    calls = gemini.call_count
    before = services.explain_counters()

    for _ in range(3):     # the page asks again, another worker re-explains: the cache answers
        services.alert_explain(alert=alert)
    assert gemini.call_count == calls
    after = services.explain_counters()
    assert after["calls_saved"] - before["calls_saved"] == 3
    assert after["model_calls"] == before["model_calls"]
    prompt = json.loads(gemini.calls[0].request.content)["contents"][0]["parts"][0]["text"]
    assert "drilldown" in prompt


@respx.mock
def test_gemini_failure_falls_back_to_the_offline_template(shop, settings):
    settings.GEMINI_API_KEY = "test-key"
    cache.clear()
    respx.post(GEMINI_URL).mock(return_value=httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}}))
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = next(a for a in alerts_of(shop) if a.entity_kind == "product")
    assert alert.explanation_source == "offline" and "상품 '7'" in alert.explanation


def test_pages_list_chart_acknowledge_and_mute(shop, other_shop, marketer, viewer, login, client):
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    alert = next(a for a in alerts_of(shop) if a.entity_kind == "product")

    page = login(viewer).get(f"/c/{shop.slug}/alerts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "상품 &#x27;7&#x27;의 상품 조회" in html and 'data-testid="alerts-unread"' in html
    detail = client.get(f"/c/{shop.slug}/alerts/{alert.pk}/")
    assert detail.status_code == 200
    chart = detail.context["chart"]
    assert max(chart["observed"]) == 63 and chart["expected"] == pytest.approx(3, abs=0.5)
    assert max(chart["yesterday"]) == 3 and max(chart["week"]) == 3
    assert client.post(f"/c/{shop.slug}/alerts/{alert.pk}/acknowledge/").status_code == 403   # a viewer

    login(marketer)
    assert client.post(f"/c/{shop.slug}/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_at and alert.acknowledged_by == marketer
    resp = client.post(f"/c/{shop.slug}/alerts/{alert.pk}/mute/", {"hours": "abc"}, follow=True)
    assert "숫자" in resp.content.decode()
    client.post(f"/c/{shop.slug}/alerts/{alert.pk}/mute/", {"hours": "6", "scope": "series"})
    assert shop.alert_mutes.get().entity_id == "7"

    # another shop's member never reaches this alert, not even by its id
    stranger = make_member(other_shop, Role.OWNER)
    login(stranger)
    assert client.get(f"/c/{other_shop.slug}/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/c/{other_shop.slug}/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert client.get(f"/api/v1/clients/{other_shop.pk}/alerts/{alert.pk}").status_code == 404
    mute = shop.alert_mutes.get()
    assert client.post(f"/c/{other_shop.slug}/alerts/mutes/{mute.pk}/delete/").status_code == 404


def test_api_lists_alerts_and_refuses_a_bad_mute(shop, marketer, login):
    shop_traffic(shop)
    burst(shop, 60)
    services.scan_client(client=shop, at=AT)
    api = login(marketer)
    data = api.get(f"/api/v1/clients/{shop.pk}/alerts/?state=open").json()
    assert any(r["entity"] == "product:7" and r["level"] == "SPIKE" for r in data["results"])
    one = next(r for r in data["results"] if r["entity"] == "product:7")
    detail = api.get(f"/api/v1/clients/{shop.pk}/alerts/{one['id']}").json()
    assert detail["baselines"]["short"] == 3
    bad = api.post(f"/api/v1/clients/{shop.pk}/alerts/mutes", {"hours": 0}, content_type="application/json")
    assert bad.status_code == 400 and "시간" in bad.json()["detail"]
    ok = api.post(f"/api/v1/clients/{shop.pk}/alerts/mutes", {"hours": 2, "metric": "views"},
                  content_type="application/json")
    assert ok.status_code == 201


def test_settings_page_rejects_a_bad_webhook_url_in_korean(shop, owner, marketer, login, client):
    login(owner)
    resp = client.post(f"/c/{shop.slug}/alerts/settings/", {"webhook_enabled": "on", "webhook_url": "not a url"})
    assert resp.status_code == 400 and "웹훅 URL" in resp.content.decode()
    login(marketer)
    assert client.post(f"/c/{shop.slug}/alerts/settings/", {}).status_code == 403


def test_detect_spikes_command_prints_the_alerts_at_a_moment(shop):
    shop_traffic(shop)
    burst(shop, 60)
    out = io.StringIO()
    call_command("detect_spikes", "--client-id", str(shop.pk), "--at", "2025-09-30T15:00:00+09:00",
                 "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["at"] == AT.isoformat()
    hit = next(a for a in data["alerts"] if a["entity"] == "product:7")
    assert hit["metric"] == "views" and hit["level"] == "SPIKE" and hit["observed"] == 63
    assert hit["baselines"] == {"short": 3.0, "yesterday": 3.0, "week": 3.0}
    assert hit["start"] == (AT - timedelta(minutes=5)).isoformat()
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("detect_spikes", "--client-id", str(shop.pk), "--at", "yesterday")
    with pytest.raises(CommandError, match="no client"):
        call_command("detect_spikes", "--client-id", "999999")
    with pytest.raises(CommandError, match="overlap"):
        call_command("eval_spikes", "--tune-seeds", "1", "--seeds", "1")


@pytest.mark.django_db(transaction=True)
def test_beat_installs_the_five_minute_scan():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from untitle.celery import app

    DatabaseScheduler(app=app)  # what beat does at start: installs the static schedule in the DB
    task = PeriodicTask.objects.get(name="alerts-scan-every-5-minutes")
    assert task.task == "alerts.tasks.scan_all" and task.interval.every == 300 and task.interval.period == "seconds"


def test_the_scan_task_scans_a_client(shop):
    from alerts import tasks

    shop_traffic(shop)
    burst(shop, 60)
    result = tasks.scan_client.run(shop.pk, AT.isoformat())
    assert result["opened"] >= 1
    assert tasks.SCAN_SOFT_LIMIT_S < tasks.SCAN_HARD_LIMIT_S
