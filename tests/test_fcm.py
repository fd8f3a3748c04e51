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
