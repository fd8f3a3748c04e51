"""Cafe24 as documented (issue 16 points 1, 2, 4, 5, 6, 7, 9): each test fails on the code that
read the shapes we believed in, against a fake that serves the documented ones."""
import json
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import clickhouse
from events.facade import record_events
from insights.models import SavedQuery
from messaging.cafe24.client import Cafe24Error
from messaging.campaigns.prepare import campaign_prepare
from messaging.campaigns.services import campaign_create
from messaging.connection.services import cafe24_connect, cafe24_scripttags_sync, cafe24_token_upkeep
from messaging.connection.webhook import cafe24_webhook, order_webhook_record
from messaging.models import Cafe24Connection, Campaign, Delivery
from messaging.sending.contacts import member_contacts
from messaging.sending.services import campaign_send
from tenants.models import Client
from tests.fakes.cafe24 import ORDER_PLACED_SAMPLE
from tests.fakes.fixtures import connected, fake_cafe24  # noqa: F401

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 20, 3, 0, tzinfo=dt_timezone.utc)  # 12:00 in Seoul
REDIRECT = "http://testserver/cafe24/callback"
LOGIN_IR = {"kind": "A", "window": {"type": "last_n", "n": 7, "unit": "day"},
            "audience": {"type": "event", "event": "login", "filters": {}, "count": {"op": ">=", "value": 1}}}


def _connect(shop, fake):
    fake.codes.add("code-again")
    return cafe24_connect(client=shop, code="code-again", redirect_uri=REDIRECT)


# --- 1. senders ---------------------------------------------------------------------------------

def test_only_a_verified_sender_is_used_and_all_pages_are_read(shop, fake_cafe24):
    # Eleven senders that cannot send (deleted, registered, under review, rejected) come first:
    # with the default page of 10 the verified one is on page two.
    fake_cafe24.senders = [{"sender_no": 100 + i, "sender": f"010-0000-{i:04d}", "auth_status": code}
                           for i, code in enumerate(["00", "10", "20", "40"] * 2 + ["20", "10", "40"])]
    fake_cafe24.senders.append({"sender_no": 7, "sender": "02-777-7777", "auth_status": "30"})
    conn = cafe24_connect(client=shop, code="good-code", redirect_uri=REDIRECT)
    assert (conn.sender_no, conn.sender_number) == (7, "02-777-7777")
    asked = [q for (m, p), q in zip(fake_cafe24.calls, fake_cafe24.queries) if p == "/api/v2/admin/sms/senders"]
    assert asked and all(q.get("limit") == "100" for q in asked)


def test_no_verified_sender_says_what_to_do(shop, fake_cafe24):
    fake_cafe24.senders = [{"sender_no": 3, "sender": "010-1234-5678", "auth_status": "20"}]
    conn = cafe24_connect(client=shop, code="good-code", redirect_uri=REDIRECT)
    assert conn.sender_no is None and "인증" in conn.last_error


# --- 2. the SDK script tag ----------------------------------------------------------------------

def test_reconnect_repairs_a_tag_pinned_by_an_old_install(shop, fake_cafe24):
    # What the old code installed: the SDK with the hash of the file as it was that day.
    fake_cafe24.scripttags["42"] = fake_cafe24._tag("42", {
        "src": f"https://old-host.example/sdk/v1/untitle.js?key={shop.ingest_key}", "display_location": ["all"],
        "integrity": "sha384-hashOfTheFileAsItWasOnInstallDay"})
    conn = cafe24_connect(client=shop, code="good-code", redirect_uri=REDIRECT)
    tags = list(fake_cafe24.scripttags.values())
    assert len(tags) == 1 and tags[0]["integrity"] == "" and conn.script_no == tags[0]["script_no"] != "42"
    assert tags[0]["src"].startswith("http://127.0.0.1:8000/sdk/v1/untitle.js")


def test_daily_check_repairs_drift_with_put_and_the_command_reports(shop, connected, fake_cafe24, settings):
    settings.PUBLIC_BASE_URL = "https://untitle.example"  # the deployment moved
    out = StringIO()
    call_command("cafe24_sync_scripttags", stdout=out)
    assert json.loads(out.getvalue()) == {"ok": 0, "created": 0, "repaired": 1, "failed": 0}
    assert ("PUT", f"/api/v2/admin/scripttags/{connected.script_no}") in fake_cafe24.calls
    assert fake_cafe24.scripttags[connected.script_no]["src"] == \
        f"https://untitle.example/sdk/v1/untitle.js?key={shop.ingest_key}"
    assert cafe24_scripttags_sync() == {"ok": 1, "created": 0, "repaired": 0, "failed": 0}
    fake_cafe24.scripttags.clear()  # the shop deleted it by hand
    assert cafe24_scripttags_sync()["created"] == 1
    assert Cafe24Connection.objects.get(pk=connected.pk).script_no in fake_cafe24.scripttags


# --- 4. the 14-day refresh token ----------------------------------------------------------------

def test_daily_upkeep_keeps_an_idle_connection_alive(shop, connected, fake_cafe24):
    # Ten idle days: Cafe24 still knows the refresh token for four more, we are inside the window.
    fake_cafe24.advance(days=10)
    Cafe24Connection.objects.filter(pk=connected.pk).update(refresh_expires_at=timezone.now() + timedelta(days=4))
    assert cafe24_token_upkeep() == {"renewed": 1, "revoked": 0, "failed": 0}
    conn = Cafe24Connection.objects.get(pk=connected.pk)
    assert conn.status == "active" and conn.refresh_token != connected.refresh_token
    assert conn.refresh_expires_at > timezone.now() + timedelta(days=13)
    # A fresh connection is left alone (no needless rotation).
    assert cafe24_token_upkeep() == {"renewed": 0, "revoked": 0, "failed": 0}


def test_refused_renewal_marks_reconnect_and_tells_owners(shop, owner, connected, fake_cafe24, login, mailoutbox):
    fake_cafe24.advance(days=15)  # nobody called for 15 days: the refresh token is dead at Cafe24
    Cafe24Connection.objects.filter(pk=connected.pk).update(refresh_expires_at=timezone.now() - timedelta(days=1))
    assert cafe24_token_upkeep()["revoked"] == 1
    conn = Cafe24Connection.objects.get(pk=connected.pk)
    assert conn.status == "revoked" and conn.get_status_display() == "재연결 필요"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [owner.email]
    assert "재연결" in mailoutbox[0].subject and f"/c/{shop.slug}/settings/cafe24/" in mailoutbox[0].body
    page = login(owner).get(f"/c/{shop.slug}/settings/").content.decode()
    assert "Cafe24 재연결 필요" in page
    assert cafe24_token_upkeep() == {"renewed": 0, "revoked": 0, "failed": 0} and len(mailoutbox) == 1


# --- 5. consent through the list endpoint -------------------------------------------------------

def test_consent_is_read_through_the_customers_list_a_hundred_at_a_time(shop, connected, fake_cafe24):
    for i in range(150):
        fake_cafe24.customers[f"m{i:04d}"] = {"member_id": f"m{i:04d}", "sms": "T" if i % 2 else "F"}
    got = member_contacts(client=shop, member_ids=[f"m{i:04d}" for i in range(150)])
    assert len(got) == 150 and got["m0001"].sms_consent and not got["m0002"].sms_consent
    lists = [q["member_id"].split(",") for (m, p), q in zip(fake_cafe24.calls, fake_cafe24.queries)
             if p == "/api/v2/admin/customers"]
    assert sorted(len(x) for x in lists) == [50, 100]
    assert ("GET", "/api/v2/admin/customersprivacy") not in fake_cafe24.calls


def test_customersprivacy_takes_one_member_and_refuses_a_list(shop, connected, fake_cafe24):
    from messaging.connection.services import cafe24_api

    api = cafe24_api(client=shop)
    with pytest.raises(Cafe24Error) as exc:
        api.request("GET", "/api/v2/admin/customersprivacy", params={"member_id": "member0001,member0002"})
    assert exc.value.status == 422
    assert api.customer_privacy("member0001")["name"] == "김하나"


# --- 6. the order webhook -----------------------------------------------------------------------

def _orders(shop):
    return clickhouse.query(
        "SELECT product_id, amount FROM event WHERE client_id = {c:Int32} AND event_type = 62 ORDER BY product_id",
        {"c": shop.pk}).rows


def _sample(shop, order_id):
    return {**ORDER_PLACED_SAMPLE, "resource": {**ORDER_PLACED_SAMPLE["resource"], "mall_id": shop.mall_id,
                                                "order_id": order_id}}


def _sdk_lines(shop, order_id):
    # What the SDK sends from the order-complete page: the real lines.
    record_events(client_id=shop.pk, events=[
        {"event_type": "order_complete", "uuid": str(uuid.uuid4()), "order_id": order_id, "product_id": "11",
         "product_quantity": 2, "price": 10000, "amount": 20000, "event_id": str(uuid.uuid4())},
        {"event_type": "order_complete", "uuid": str(uuid.uuid4()), "order_id": order_id, "product_id": "12",
         "product_quantity": 1, "price": 4680, "amount": 4680, "event_id": str(uuid.uuid4())}])


def test_documented_order_body_records_what_it_knows(shop):
    body = _sample(shop, "20261121-0000001")
    assert cafe24_webhook(payload=body) == "order"
    assert _orders(shop) == []  # the SDK gets its grace period first
    assert order_webhook_record(client_id=shop.pk, resource=body["resource"]) == "recorded"
    # Paid with points: actual_payment_amount is "0.00", the order is still worth 24,680 won;
    # the products are the codes Cafe24 sent, never a made-up "0".
    assert _orders(shop) == [("P00000BO", 24680), ("P00000DQ", 0)]


def test_sdk_first_then_webhook_counts_the_order_once(shop):
    _sdk_lines(shop, "20261121-0000002")
    assert cafe24_webhook(payload=_sample(shop, "20261121-0000002")) == "order"
    assert order_webhook_record(client_id=shop.pk, resource=_sample(shop, "20261121-0000002")["resource"]) == "sdk"
    assert _orders(shop) == [("11", 20000), ("12", 4680)]


def test_webhook_first_then_sdk_counts_the_order_once(shop):
    body = _sample(shop, "20261121-0000003")
    assert cafe24_webhook(payload=body) == "order"
    _sdk_lines(shop, "20261121-0000003")  # the SDK's lines arrive within the grace period
    assert order_webhook_record(client_id=shop.pk, resource=body["resource"]) == "sdk"
    assert _orders(shop) == [("11", 20000), ("12", 4680)]


# --- 7. POST /sms is never resent ----------------------------------------------------------------

def _sms_campaign(shop, body="겨울 세일 {{shop_name}}"):
    sq = SavedQuery.objects.create(client=shop, name=f"로그인 {uuid.uuid4().hex[:6]}", ir=LOGIN_IR)
    return campaign_create(client=shop, name="문자", channel="sms", saved_query=sq, holdout_pct=0,
                           variants=[{"key": "A", "body": body}], sender_name="가게A", contact="02-123-4567",
                           optout_text="무료수신거부 080-123-4567")


def test_a_504_after_queuing_is_never_resent(shop, connected, fake_cafe24):
    fake_cafe24.sms_504_after_queue = 1
    campaign = _sms_campaign(shop)
    campaign_prepare(campaign=campaign, recipients=[(str(uuid.uuid4()), "member0001"),
                                                    (str(uuid.uuid4()), "member0002")], now=NOON)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign_send(campaign_id=campaign.pk)
    campaign_send(campaign_id=campaign.pk)  # a retry of the task
    assert len(fake_cafe24.sms_calls) == 1  # Cafe24 queued it once; we never asked again
    rows = list(Delivery.objects.filter(campaign=campaign).exclude(status="suppressed"))
    assert rows and all(d.status == "failed" and d.reason == "outcome_unknown" for d in rows)
    assert all(d.provider_response["outcome"] == "unknown" for d in rows)


def test_the_client_never_repeats_a_send_after_a_504(shop, connected, fake_cafe24):
    from messaging.cafe24.client import Cafe24OutcomeUnknown
    from messaging.connection.services import cafe24_api

    fake_cafe24.sms_504_after_queue = 1
    api = cafe24_api(client=shop)
    with pytest.raises(Cafe24OutcomeUnknown) as exc:
        api.sms_send(sender_no=2, content="테스트", member_ids=["member0001"], type_="SMS")
    assert exc.value.status == 504 and len(fake_cafe24.sms_calls) == 1
    # The next send is a new call and goes through.
    assert api.sms_send(sender_no=2, content="테스트", member_ids=["member0001"], type_="SMS")["queue_code"]


def test_names_for_a_personal_text_come_from_customersprivacy_one_by_one(shop, connected, fake_cafe24):
    campaign = _sms_campaign(shop, body="{{name}}님 겨울 세일")
    campaign_prepare(campaign=campaign, recipients=[(str(uuid.uuid4()), "member0001"),
                                                    (str(uuid.uuid4()), "member0002")], now=NOON)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    campaign_send(campaign_id=campaign.pk)
    texts = sorted(c["content"] for c in fake_cafe24.sms_calls)
    assert any("김하나님" in t for t in texts) and any("이둘님" in t for t in texts)


# --- 9. the mall id in Settings -----------------------------------------------------------------

def test_owner_enters_the_mall_id_in_settings(shop, owner, login, other_shop):
    Client.objects.filter(pk=shop.pk).update(mall_id=None)
    c = login(owner)
    page = c.get(f"/c/{shop.slug}/settings/cafe24/").content.decode()
    assert f'href="/c/{shop.slug}/settings/#id_mall_id"' in page
    form = {"name": shop.name, "timezone": "Asia/Seoul", "industry": "", "business_type": "", "region": ""}
    bad = c.post(f"/c/{shop.slug}/settings/", {**form, "mall_id": "my shop!"})
    assert bad.status_code == 400 and "영문 소문자와 숫자 4~16자" in bad.content.decode()
    taken = c.post(f"/c/{shop.slug}/settings/", {**form, "mall_id": other_shop.mall_id})
    assert taken.status_code == 400 and "이미 다른 고객사" in taken.content.decode()
    ok = c.post(f"/c/{shop.slug}/settings/", {**form, "mall_id": "https://MyShop01.cafe24.com/index.html"})
    assert ok.status_code == 302
    assert Client.objects.get(pk=shop.pk).mall_id == "myshop01"
