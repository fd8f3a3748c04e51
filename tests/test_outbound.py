"""Outgoing webhooks cannot be pointed at our own network (issue 17, finding 3: SSRF).

Real sockets: a receiver on 127.0.0.1 stands for "something inside our network" (an admin port,
a metadata service). It must be refused by default, for every spelling of its address, and
reached only when ``WEBHOOK_ALLOWLIST`` names it. DNS answers are handed in as a resolver, the
way a hostile or rebinding DNS server would answer. The segment and alert webhooks are driven
through their real services, and what the audit log / notification keeps is checked to be the
generic sentence, never the socket error (which would let a marketer scan our ports).
"""
from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from untitle import outbound
from untitle.webhooks import verify


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what reaches it."""

    def __init__(self, status: int = 204, headers: dict | None = None, stream_forever: bool = False,
                 hang: bool = False):
        self.requests: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if hang:
                    time.sleep(3)
                    return
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if stream_forever:
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"x" * 8192)
                    except OSError:
                        return
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


NOBODY = outbound.AllowList()


def send(url, allow=NOBODY, **kw):
    return outbound.post(url, body=b'{"a":1}', headers={"Content-Type": "application/json"}, allow=allow, **kw)


# --- the client ---------------------------------------------------------------------------------

def test_a_receiver_on_loopback_is_refused_by_default_and_reached_when_allow_listed(receiver):
    d = send(receiver.url())
    assert (d.ok, d.refused, d.error) == (False, True, outbound.REFUSED)
    assert receiver.requests == []

    d = send(receiver.url(), allow=outbound.AllowList.parse("127.0.0.1"))
    assert (d.ok, d.status) == (True, 204)
    assert receiver.requests[0]["body"] == b'{"a":1}'


@pytest.mark.parametrize("host", [
    "localhost", "LOCALHOST.", "app.localhost", "2130706433", "0x7f000001", "0x7f.1", "017700000001", "0177.0.0.1",
    "127.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "[::]", "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
])
def test_every_spelling_of_loopback_is_refused(receiver, host):
    d = send(receiver.url(host))
    assert d.refused and not d.ok
    assert receiver.requests == []


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/", "http://100.100.100.200/latest/meta-data/",
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://224.0.0.1/", "http://240.0.0.1/", "http://255.255.255.255/", "http://192.0.2.1/",
    "http://user:pw@93.184.216.34/", "ftp://93.184.216.34/", "file:///etc/passwd",
])
def test_private_metadata_multicast_reserved_and_odd_urls_are_refused_without_a_connection(url):
    def resolver(host, port):  # pragma: no cover - only names would get here
        raise AssertionError(f"{host} should be refused before any lookup")

    d = send(url, resolver=resolver)
    assert d.refused and d.error == outbound.REFUSED


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["10.1.2.3"], ["93.184.216.34", "192.168.0.10"],
                                     ["::ffff:169.254.169.254"], ["fe80::1%eth0"]])
def test_a_name_whose_dns_answers_include_an_internal_address_is_refused(receiver, answers):
    d = send(f"http://hooks.example.net:{receiver.port}/x", resolver=lambda h, p: answers)
    assert d.refused and receiver.requests == []


def test_the_connection_goes_to_the_address_that_was_checked_dns_rebinding(receiver):
    """A rebinding DNS server answers the allowed address to the check and another one later;
    the name is resolved once, at connect time, and the socket goes to that very address."""
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["10.0.0.1"]

    d = send(f"http://hooks.example.net:{receiver.port}/x", allow=outbound.AllowList.parse("127.0.0.1/32"),
             resolver=rebinding)
    assert d.ok and calls == ["hooks.example.net"]
    # the name stays in the request: Host header (and SNI / certificate checks for https)
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example.net:{receiver.port}"


def test_an_allow_listed_name_may_resolve_to_a_private_address(receiver):
    allow = outbound.AllowList.parse("hooks.corp.internal")
    d = send(f"http://hooks.corp.internal:{receiver.port}/x", allow=allow, resolver=lambda h, p: ["127.0.0.1"])
    assert d.ok
    d = send(f"http://other.corp.internal:{receiver.port}/x", allow=allow, resolver=lambda h, p: ["127.0.0.1"])
    assert d.refused


def test_redirects_are_not_followed():
    target = Receiver()
    hop = Receiver(status=302, headers={"Location": target.url(path="/stolen")})
    try:
        d = send(hop.url(), allow=outbound.AllowList.parse("127.0.0.1"))
        assert (d.ok, d.status, d.error) == (False, 302, "웹훅 전송에 실패했습니다 (HTTP 302)")
        assert target.requests == []
    finally:
        hop.close()
        target.close()


def test_a_closed_port_and_a_silent_one_give_the_same_generic_error():
    """Open, closed and filtered ports must look alike to the marketer (no port-scan oracle)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    silent = Receiver(hang=True)
    allow = outbound.AllowList.parse("127.0.0.0/8")
    try:
        a = send(f"http://127.0.0.1:{closed}/", allow=allow)
        started = time.monotonic()
        b = send(silent.url(), allow=allow, timeout=0.5)
        assert time.monotonic() - started < 2.5
    finally:
        silent.close()
    assert a.error == b.error == outbound.FAILED
    assert (a.status, b.status) == (None, None)


def test_an_endless_answer_is_cut_off():
    r = Receiver(status=200, stream_forever=True)
    try:
        started = time.monotonic()
        d = send(r.url(), allow=outbound.AllowList.parse("127.0.0.1"), deadline=1.0)
        assert (d.ok, d.status) == (True, 200)
        assert time.monotonic() - started < 5
    finally:
        r.close()


def test_check_url_refuses_at_save_time_but_lets_an_unresolved_name_wait_for_its_dns():
    with pytest.raises(outbound.Refused):
        outbound.check_url("http://127.0.0.1:8080/x", allow=NOBODY)
    with pytest.raises(outbound.Refused):
        outbound.check_url("https://internal.example.net/x", allow=NOBODY, resolver=lambda h, p: ["10.0.0.7"])
    outbound.check_url("https://hooks.example.net/x", allow=NOBODY, resolver=lambda h, p: ["93.184.216.34"])

    def nxdomain(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    outbound.check_url("https://not-yet.example.net/x", allow=NOBODY, resolver=nxdomain)
    outbound.check_url("http://127.0.0.1:8080/x", allow=outbound.AllowList.parse("127.0.0.1"))


# --- segment webhooks ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_segment_webhook_url_to_our_network_is_a_korean_field_error(shop, marketer, login):
    from tests.audience_support import CART_NO_ORDER

    api = login(marketer)
    res = api.post(f"/api/v1/clients/{shop.pk}/segments/",
                   {"name": "s", "rules": CART_NO_ORDER, "webhook_url": "http://169.254.169.254/latest/"},
                   content_type="application/json")
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "webhook_url" and "내부" in body["fields"]["webhook_url"]


@pytest.mark.django_db
def test_segment_push_to_loopback_is_refused_unless_allow_listed(shop, receiver, settings):
    from insights.segments import services as segments
    from tenants.models import AuditEntry
    from tests.audience_support import CART_NO_ORDER, TODAY, shop_story

    shop_story(shop)
    settings.WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER, webhook_url=receiver.url())
    segments.segment_refresh(segment_id=seg.pk, today=TODAY)
    assert segments.segment_webhook_push(segment_id=seg.pk) == 3
    got = receiver.requests[0]
    assert verify(seg.webhook_secret, got["headers"], got["body"]) and json.loads(got["body"])["size"] == 3

    settings.WEBHOOK_ALLOWLIST = []
    assert segments.segment_webhook_push(segment_id=seg.pk) == 0  # refused: no retry can help
    assert len(receiver.requests) == 1
    audit = AuditEntry.objects.filter(client=shop, action="segment.webhook").order_by("id").last()
    assert audit.details["ok"] is False and audit.details["error"] == outbound.REFUSED


@pytest.mark.django_db
def test_segment_push_failure_keeps_only_the_generic_error(shop, settings):
    from insights.segments import services as segments
    from tenants.models import AuditEntry
    from tests.audience_support import CART_NO_ORDER, TODAY, shop_story

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    shop_story(shop)
    settings.WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER,
                                  webhook_url=f"http://127.0.0.1:{closed}/x")
    segments.segment_refresh(segment_id=seg.pk, today=TODAY)
    with pytest.raises(segments.WebhookFailed) as exc:
        segments.segment_webhook_push(segment_id=seg.pk)
    assert str(exc.value) == outbound.FAILED
    audit = AuditEntry.objects.filter(client=shop, action="segment.webhook").last()
    assert audit.details["error"] == outbound.FAILED
    assert "Errno" not in json.dumps(audit.details, ensure_ascii=False)


# --- alert webhooks -----------------------------------------------------------------------------

def _alert(shop, entity_id):
    from alerts.models import Alert

    now = timezone.now()
    return Alert.objects.create(client=shop, entity_kind="product", entity_id=entity_id, metric="views", level="SPIKE",
                                start_bucket=now - timedelta(minutes=10), last_bucket=now, observed=50,
                                expected=10, peak=50)


@pytest.mark.django_db
def test_alert_webhook_url_to_our_network_is_a_korean_field_error(shop, owner):
    from alerts import services
    from alerts.errors import AlertError

    with pytest.raises(AlertError) as exc:
        services.notification_settings_update(client=shop, actor=owner, email_enabled=False, email_recipients=[],
                                              webhook_enabled=True, webhook_url="http://localhost:9200/_search")
    assert "내부" in exc.value.fields["webhook_url"]


@pytest.mark.django_db
def test_alert_webhook_to_loopback_is_refused_unless_allow_listed(shop, owner, receiver, settings):
    from alerts import services
    from alerts.models import Notification

    settings.WEBHOOK_ALLOWLIST = ["127.0.0.0/8"]
    services.notification_settings_update(client=shop, actor=owner, email_enabled=False, email_recipients=[],
                                          webhook_enabled=True, webhook_url=receiver.url(), webhook_secret="s3cret")
    first = _alert(shop, "1")
    services.alert_notify(alert=first)
    n = Notification.objects.get(alert=first, channel="webhook")
    assert n.ok and len(receiver.requests) == 1
    assert verify("s3cret", receiver.requests[0]["headers"], receiver.requests[0]["body"])

    settings.WEBHOOK_ALLOWLIST = []
    second = _alert(shop, "2")
    services.alert_notify(alert=second)
    n = Notification.objects.get(alert=second, channel="webhook")
    assert not n.ok and n.detail == outbound.REFUSED and len(receiver.requests) == 1


# --- webhook secrets at rest (finding 11) -------------------------------------------------------

def _stored(table: str, pk: int) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT webhook_secret FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_segment_webhook_secret_is_stored_encrypted_and_still_shown_to_the_owner(shop, owner, login):
    from insights.segments import services as segments
    from tests.audience_support import CART_NO_ORDER
    from untitle.crypto import decrypt

    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER)
    raw = _stored("insights_segment", seg.pk)
    assert raw and seg.webhook_secret not in raw and decrypt(raw) == seg.webhook_secret
    body = login(owner).get(f"/api/v1/clients/{shop.pk}/segments/{seg.pk}").json()
    assert body["webhook_secret"] == seg.webhook_secret and len(body["webhook_secret"]) == 64


@pytest.mark.django_db
def test_alert_webhook_secret_is_stored_encrypted(shop, owner):
    from alerts import services
    from alerts.selectors import notification_settings

    conf = services.notification_settings_update(client=shop, actor=owner, email_enabled=False,
                                                 email_recipients=[], webhook_enabled=False, webhook_url="",
                                                 webhook_secret="s3cret")
    assert "s3cret" not in _stored("alerts_notificationsettings", conf.pk)
    assert notification_settings(client=shop).webhook_secret == "s3cret"


@pytest.mark.django_db
def test_the_data_migrations_encrypt_plaintext_secrets_left_by_earlier_versions(shop, owner):
    """Rows written before the change hold plaintext; the migrations' step encrypts them once."""
    import importlib

    from django.db import connection

    from alerts import services
    from insights.models import Segment
    from insights.segments import services as segments
    from tests.audience_support import CART_NO_ORDER

    seg = segments.segment_create(client=shop, name="s", rules=CART_NO_ORDER)
    conf = services.notification_settings_update(client=shop, actor=owner, email_enabled=False,
                                                 email_recipients=[], webhook_enabled=False, webhook_url="",
                                                 webhook_secret="s3cret")
    with connection.cursor() as cur:  # what a release before the migration left in the tables
        cur.execute("UPDATE insights_segment SET webhook_secret = %s WHERE id = %s", ["a" * 64, seg.pk])
        cur.execute("UPDATE alerts_notificationsettings SET webhook_secret = 'old' WHERE id = %s", [conf.pk])
    ins = importlib.import_module("insights.migrations.0003_segment_webhook_secret_encrypted")
    alr = importlib.import_module("alerts.migrations.0002_notificationsettings_webhook_secret_encrypted")
    with connection.schema_editor() as editor:
        for _twice in range(2):  # a second run leaves the tokens alone
            ins.encrypt_secrets(None, editor)
            alr.encrypt_secrets(None, editor)
    assert Segment.objects.get(pk=seg.pk).webhook_secret == "a" * 64
    assert "a" * 64 not in _stored("insights_segment", seg.pk)
    from alerts.models import NotificationSettings
    assert NotificationSettings.objects.get(pk=conf.pk).webhook_secret == "old"
    with connection.schema_editor() as editor:  # and the way back gives the plain values
        ins.decrypt_secrets(None, editor)
    assert _stored("insights_segment", seg.pk) == "a" * 64
