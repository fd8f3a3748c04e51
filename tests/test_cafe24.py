"""Cafe24 integration against the local fake Cafe24 server: install, tokens, webhooks, launch."""
import threading
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from messaging.cafe24 import hmac as cafe24_hmac
from messaging.cafe24.client import Cafe24Revoked
from messaging.connection.services import cafe24_access_token, cafe24_api, cafe24_disconnect
from messaging.models import Cafe24Connection, MemberContact
from messaging.sending.contacts import member_contacts
from tenants.models import AuditEntry
from tests.fakes.cafe24 import ORDER_PLACED_SAMPLE
from tests.fakes.fixtures import connected, fake_cafe24  # noqa: F401

pytestmark = pytest.mark.django_db


def test_owner_connects_through_oauth_with_state(shop, owner, login, fake_cafe24):
    c = login(owner)
    page = c.get(f"/c/{shop.slug}/settings/cafe24/")
    assert page.status_code == 200 and "Cafe24 연결하기" in page.content.decode()
    resp = c.post(f"/c/{shop.slug}/settings/cafe24/", {"action": "connect"})
    assert resp.status_code == 302
    url = urlsplit(resp["Location"])
    q = parse_qs(url.query)
    assert url.path.endswith("/api/v2/oauth/authorize") and q["response_type"] == ["code"] and q["state"][0]
    # A forged state is refused, and the pending state is spent with it.
    assert c.get("/cafe24/callback", {"code": "good-code", "state": "forged"}).status_code == 403
    c.post(f"/c/{shop.slug}/settings/cafe24/", {"action": "connect"})
    state = c.session["cafe24_oauth"]["state"]
    resp = c.get("/cafe24/callback", {"code": "good-code", "state": state})
    assert resp.status_code == 302
    conn = Cafe24Connection.objects.get(client=shop)
    assert conn.status == "active" and conn.access_token.startswith("at-") and conn.sender_no == 2
    # The SDK script tag was installed; no pinned integrity, since the SDK URL changes in place
    # (a pinned hash would stop the SDK at its first release: see test_sdk_scripttag.py).
    tag = fake_cafe24.scripttags[conn.script_no]
    assert tag["src"].endswith(f"/sdk/v1/untitle.js?key={shop.ingest_key}") and tag["integrity"] == ""
    assert AuditEntry.objects.filter(client=shop, action="cafe24.connect").exists()
    # Disconnect removes the script tag and forgets the tokens.
    c.post(f"/c/{shop.slug}/settings/cafe24/", {"action": "disconnect"})
    conn.refresh_from_db()
    assert conn.status == "inactive" and conn.access_token == "" and fake_cafe24.scripttags == {}


def test_marketer_cannot_open_cafe24_settings(shop, marketer, login):
    assert login(marketer).get(f"/c/{shop.slug}/settings/cafe24/").status_code == 403


def test_tokens_are_encrypted_at_rest(connected):
    with connection.cursor() as cur:
        cur.execute("SELECT access_token, refresh_token FROM messaging_cafe24connection WHERE id = %s", [connected.pk])
        raw_access, raw_refresh = cur.fetchone()
    assert not raw_access.startswith("at-") and raw_access.startswith("gAAAA")
    assert connected.access_token.startswith("at-") and "rt-" not in raw_refresh


def test_key_rotation_keeps_old_secrets_readable(connected, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    conn = Cafe24Connection.objects.get(pk=connected.pk)  # decrypted with the derived dev key
    settings.FIELD_ENCRYPTION_KEY = old_key
    conn.save()  # now stored under old_key
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"  # rotation: new first, old still reads
    assert Cafe24Connection.objects.get(pk=connected.pk).access_token == connected.access_token
    call_command("reencrypt_fields")
    settings.FIELD_ENCRYPTION_KEY = new_key  # old key dropped after re-encryption
    assert Cafe24Connection.objects.get(pk=connected.pk).refresh_token == connected.refresh_token


def test_expired_token_401_refreshes_and_retries(shop, connected, fake_cafe24):
    fake_cafe24.expire_all_access()  # Cafe24 says 401 although our expiry time is still ahead
    tags = cafe24_api(client=shop).scripttags()
    assert len(tags) == 1 and fake_cafe24.refresh_calls == 1
    conn = Cafe24Connection.objects.get(client=shop)
    assert conn.refresh_token != connected.refresh_token  # rotated and stored


def test_refresh_ahead_of_expiry(shop, connected, fake_cafe24):
    Cafe24Connection.objects.filter(pk=connected.pk).update(expires_at=timezone.now() + timedelta(minutes=3))
    token = cafe24_access_token(client=shop)
    assert token != connected.access_token and fake_cafe24.refresh_calls == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_make_one_call_and_both_get_the_new_token(fake_cafe24):
    from messaging.connection.services import cafe24_connect
    from tests.factories import make_client

    shop = make_client("동시 갱신")
    cafe24_connect(client=shop, code="good-code", redirect_uri="http://x/cb")
    Cafe24Connection.objects.filter(client=shop).update(expires_at=timezone.now() - timedelta(minutes=1))
    fake_cafe24.refresh_delay = 0.3
    got, errors = [], []

    def worker():
        try:
            got.append(cafe24_access_token(client=shop))
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and fake_cafe24.refresh_calls == 1
    assert len(set(got)) == 1 and got[0] == Cafe24Connection.objects.get(client=shop).access_token


def test_revoked_refresh_token_marks_connection_and_says_reconnect(shop, connected, fake_cafe24):
    fake_cafe24.revoked = True
    Cafe24Connection.objects.filter(pk=connected.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Cafe24Revoked) as exc:
        cafe24_access_token(client=shop)
    assert "다시 연결" in str(exc.value)
    assert Cafe24Connection.objects.get(pk=connected.pk).status == "revoked"


def test_429_is_retried_after_the_advertised_wait(shop, connected, fake_cafe24):
    fake_cafe24.throttle_left = 2
    before = len(fake_cafe24.calls)
    assert len(cafe24_api(client=shop).scripttags()) == 1
    assert fake_cafe24.calls[before:] == [("GET", "/api/v2/admin/scripttags")] * 3


def test_leaky_bucket_waits_when_the_mall_bucket_is_full(shop, connected):
    api = cafe24_api(client=shop)
    slept = []
    api.sleep = slept.append
    api.bucket.used, api.bucket.size = 40, 40
    import time
    api.bucket.at = time.monotonic()
    api.sms_senders()  # the 40-deep bucket (script tags and SMS sends have their own)
    assert slept and 0.4 < slept[0] <= 0.5  # one slot drains in half a second


def test_member_contacts_cached_and_pii_encrypted(shop, connected, fake_cafe24):
    # with_names: the name (and the phone number beside it) comes from customersprivacy.
    got = member_contacts(client=shop, member_ids=["member0001", "member0003", "nobody"], with_names=True)
    assert got["member0001"].sms_consent is True and got["member0003"].sms_consent is False
    calls = len(fake_cafe24.calls)
    member_contacts(client=shop, member_ids=["member0001"])
    assert len(fake_cafe24.calls) == calls  # served from the cache
    with connection.cursor() as cur:
        cur.execute("SELECT cellphone, name FROM messaging_membercontact WHERE member_id = 'member0001'")
        phone, name = cur.fetchone()
    assert "010" not in phone and "김" not in name
    assert MemberContact.objects.get(member_id="member0001").cellphone == "010-1111-0001"


def test_webhook_app_deleted_deactivates(shop, connected, client, settings):
    settings.CAFE24_WEBHOOK_KEY = "hook-key"
    body = {"event_no": 90077, "resource": {"mall_id": shop.mall_id, "client_id": "cid", "app_name": "UNTITLE"}}
    assert client.post("/api/v1/cafe24/webhook", body, content_type="application/json").status_code == 403
    assert client.post("/api/v1/cafe24/webhook", body, content_type="application/json",
                       HTTP_X_API_KEY="wrong").status_code == 403
    resp = client.post("/api/v1/cafe24/webhook", body, content_type="application/json", HTTP_X_API_KEY="hook-key")
    assert resp.status_code == 200 and resp.json()["result"] == "deactivated"
    assert Cafe24Connection.objects.get(client=shop).status == "inactive"


def test_webhook_order_placed_records_an_order_event(shop, client, settings):
    from events import clickhouse

    from messaging.connection.webhook import order_webhook_record

    settings.CAFE24_WEBHOOK_KEY = "hook-key"
    # The documented 90023 body (no line items, amounts as strings), one product ordered.
    body = {"event_no": 90023, "resource": {**ORDER_PLACED_SAMPLE["resource"], "mall_id": shop.mall_id,
                                            "order_id": "20261121-0000123", "member_id": "member0009",
                                            "order_price_amount": "45000.00", "ordering_product_code": "P00000BO"}}
    for _ in range(2):  # a redelivered webhook does not count twice
        resp = client.post("/api/v1/cafe24/webhook", body, content_type="application/json", HTTP_X_API_KEY="hook-key")
        assert resp.json()["result"] == "order"
        # ... and once the SDK's grace period is over, the webhook's own record is written.
        order_webhook_record(client_id=shop.pk, resource=body["resource"])
    rows = clickhouse.query("SELECT count(), sum(amount) FROM event WHERE client_id = {c:Int32} AND event_type = 62",
                            {"c": shop.pk}).rows
    assert rows[0] == (1, 45000)


def test_app_launch_hmac(shop, client, settings):
    import time

    settings.CAFE24_CLIENT_SECRET = "launch-secret"
    q = f"is_multi_shop=F&lang=ko_KR&mall_id={shop.mall_id}&nation=KR&shop_no=1&timestamp={int(time.time())}&user_id=a&user_type=P"
    sig = quote(cafe24_hmac.sign(q, "launch-secret"), safe="")
    resp = client.get(f"/cafe24/launch?{q}&hmac={sig}")
    assert resp.status_code == 302 and resp["Location"] == f"/c/{shop.slug}/campaigns/"
    assert client.get(f"/cafe24/launch?{q}&hmac=AAAA").status_code == 403


def test_disconnect_without_connection_is_a_no_op(shop):
    cafe24_disconnect(client=shop)
