"""Our FCM HTTP v1 client against the local fake FCM: OAuth exchange, batches, errors, backoff."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from messaging.fcm.client import FCMClient, FCMConfigError, PushMessage, service_account_jwt
from tests.fakes.fcm import FakeFCM, service_account


@pytest.fixture
def fcm():
    with FakeFCM(unregistered={"dead-token"}) as fake:
        sa = service_account(fake.url + "/token")
        client = FCMClient(sa, base_url=fake.url, threads=8, sleep=lambda s: None)
        yield fake, client, sa


def msgs(n, prefix="tok"):
    return [PushMessage(key=str(i), token=f"{prefix}-{i}", title="t", body="b", link="https://shop.kr/?untitle_tid=x")
            for i in range(n)]


def test_service_account_jwt_is_rs256_signed_for_the_fcm_scope(fcm):
    _fake, _client, sa = fcm
    token = service_account_jwt(sa, now=1_700_000_000)
    head, claims, sig = token.split(".")
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    c = json.loads(pad(claims))
    assert json.loads(pad(head))["alg"] == "RS256"
    assert c["scope"].endswith("firebase.messaging") and c["exp"] - c["iat"] == 3600 and c["aud"] == sa["token_uri"]
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None).public_key()
    key.verify(pad(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())  # raises if wrong


def test_batch_of_500_sends_each_once_with_one_token_exchange(fcm):
    fake, client, _sa = fcm
    results = client.send_batch(msgs(500))
    assert all(r.outcome == "ok" for r in results) and len(results) == 500
    assert len(fake.received) == 500 and set(fake.received.values()) == {1} and fake.token_calls == 1
    assert fake.messages[0]["webpush"]["fcm_options"]["link"].startswith("https://shop.kr/")


def test_more_than_500_refused(fcm):
    with pytest.raises(ValueError):
        fcm[1].send_batch(msgs(501))


def test_unregistered_and_invalid_tokens_are_reported_for_clean_up(fcm):
    fake, client, _sa = fcm
    out = client.send_batch([PushMessage("a", "dead-token", "t", "b"), PushMessage("b", "", "t", "b"),
                             PushMessage("c", "ok-token", "t", "b")])
    assert [r.outcome for r in out] == ["unregistered", "invalid", "ok"]


def test_429_and_503_back_off_then_succeed(fcm):
    fake, client, _sa = fcm
    slept = []
    client.sleep = slept.append
    fake.throttle_left, fake.unavailable_left = 2, 1
    out = client.send_batch(msgs(1))
    assert out[0].outcome == "ok" and len(slept) == 3 and fake.attempts == 4


def test_persistent_429_gives_retry_outcome_not_an_exception(fcm):
    fake, client, _sa = fcm
    fake.throttle_left = 100
    assert client.send_batch(msgs(1))[0].outcome == "retry"


def test_bad_credentials_are_a_config_error():
    with pytest.raises(FCMConfigError):
        FCMClient({"project_id": "p", "client_email": "", "private_key": ""})


# --- Errors classified as FCM documents them (issue 16.3) -------------------------------------

class VirtualClock:
    """Shared by the fake (its quota minute) and our client (its sleep): minutes pass instantly."""

    def __init__(self):
        self.t = 1_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def test_payload_fault_is_not_a_dead_token(fcm):
    fake, client, _sa = fcm
    out = client.send_batch([PushMessage("a", "tok-a", "t", "b", link="http://shop.kr/sale")])
    assert out[0].outcome == "payload" and "fcm_options.link" in out[0].detail
    assert not fake.received


def test_bad_token_is_invalid_and_unregistered_is_gone(fcm):
    fake, client, _sa = fcm
    fake.invalid_tokens = {"garbled"}
    out = client.send_batch([PushMessage("a", "garbled", "t", "b"), PushMessage("b", "dead-token", "t", "b")])
    assert [r.outcome for r in out] == ["invalid", "unregistered"]


def test_sender_id_mismatch_and_third_party_auth_are_configuration(fcm):
    fake, client, _sa = fcm
    fake.other_sender_tokens = {"foreign"}
    assert client.send_batch([PushMessage("a", "foreign", "t", "b")])[0].outcome == "config"
    fake.third_party_auth_error = True
    r = client.send_batch([PushMessage("b", "tok-b", "t", "b")])[0]
    assert r.outcome == "config" and r.error == "THIRD_PARTY_AUTH_ERROR"


def test_quota_exceeded_waits_for_the_refill_and_then_sends():
    clock = VirtualClock()
    with FakeFCM(clock=clock.now) as fake:
        client = FCMClient(service_account(fake.url + "/token"), base_url=fake.url, threads=4, sleep=clock.sleep)
        fake.exhaust_quota(60)  # the minute's bucket is empty; no Retry-After
        out = client.send_batch(msgs(4))
    assert [r.outcome for r in out] == ["ok"] * 4 and len(fake.received) == 4
    # It waited until the quota came back (>= 60 s on the fake's clock) and not much longer.
    assert 60 <= clock.t - 1_000_000.0 <= 120 + 10


def test_quota_wait_is_bounded_per_wave():
    clock = VirtualClock()
    with FakeFCM(clock=clock.now) as fake:
        client = FCMClient(service_account(fake.url + "/token"), base_url=fake.url, threads=1, sleep=clock.sleep,
                           quota_wait=120)
        fake.exhaust_quota(3600)
        out = client.send_batch(msgs(1))
    assert out[0].outcome == "retry" and out[0].error == "QUOTA_EXCEEDED" and not fake.received
    assert sum(clock.slept) <= 120 * 1.2


def test_token_exchange_checks_the_jwt_signature_audience_and_lifetime():
    with FakeFCM() as fake:
        good = service_account(fake.url + "/token")
        assert FCMClient(good, base_url=fake.url).access_token() == "fake-fcm-token"
        stranger = service_account(fake.url + "/token", trusted=False)  # a key Google does not know
        with pytest.raises(FCMConfigError, match="Signature"):
            FCMClient(stranger, base_url=fake.url).access_token()
        wrong_aud = {**good, "token_uri": fake.url + "/token?x"}
        with pytest.raises(FCMConfigError, match="audience"):
            FCMClient(wrong_aud, base_url=fake.url).access_token()
        old = service_account_jwt(good, now=1_700_000_000)  # expired long ago
        assert fake._check_jwt(old, fake.url + "/token").startswith("Invalid JWT: Token must be a short-lived")
