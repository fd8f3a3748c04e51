"""pytest fixtures for the messaging tests: fake servers wired into settings, a connected shop."""
from __future__ import annotations

import json

import pytest

from .cafe24 import FakeCafe24
from .fcm import FakeFCM, service_account


@pytest.fixture
def fake_fcm(settings):
    with FakeFCM() as fake:
        settings.FCM_CREDENTIALS = json.dumps(service_account(fake.url + "/token"))
        settings.FCM_BASE_URL = fake.url
        yield fake


CUSTOMERS = [
    {"member_id": "member0001", "sms": "T", "cellphone": "010-1111-0001", "name": "김하나"},
    {"member_id": "member0002", "sms": "T", "cellphone": "010-1111-0002", "name": "이둘"},
    {"member_id": "member0003", "sms": "F", "cellphone": "010-1111-0003", "name": "박셋"},
]


@pytest.fixture
def fake_cafe24(settings):
    from messaging.cafe24.client import reset_buckets

    reset_buckets()
    with FakeCafe24(customers=CUSTOMERS) as fake:
        settings.CAFE24_API_BASE = fake.url + "/{mall_id}"
        settings.CAFE24_CLIENT_ID, settings.CAFE24_CLIENT_SECRET = fake.client_id, fake.client_secret
        yield fake


@pytest.fixture
def connected(shop, fake_cafe24):
    from messaging.connection.services import cafe24_connect

    return cafe24_connect(client=shop, code="good-code", redirect_uri="http://testserver/cafe24/callback")
