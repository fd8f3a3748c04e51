"""Operators' admin: create a client, invite its first owner, see usage, deactivate, read the audit log."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.core import mail

from events import clickhouse
from tenants.models import AuditEntry, Client, Invitation, Role
from tests.factories import UserFactory


@pytest.fixture
def operator(db, client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def eager_celery():
    from untitle.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def _usage_column(operator) -> dict[str, str]:
    body = operator.get("/admin/tenants/client/").content.decode()
    cells = re.findall(r'<td class="field-events_7d">([^<]*)</td>', body)
    return dict(zip(re.findall(r'<td class="field-mall_id">([^<]*)</td>', body), cells))


def test_changelist_shows_members_and_events_of_last_7_days(operator, shop, other_shop, owner, marketer):
    # The run shares one chDB store and client ids can repeat across tests: compare deltas.
    before = {k: int(v.replace(",", "")) for k, v in _usage_column(operator).items()}
    now = datetime.now(timezone.utc)
    rows = [[uuid.uuid4(), shop.pk, uuid.uuid4(), 1, now - timedelta(days=d)] for d in (0, 1, 2, 10)]
    clickhouse.insert("event", rows, ["event_id", "client_id", "uuid", "event_type", "created_at"])
    after = {k: int(v.replace(",", "")) for k, v in _usage_column(operator).items()}
    assert after[shop.mall_id] - before[shop.mall_id] == 3  # the 10-day-old event is outside the window
    assert after[other_shop.mall_id] == before[other_shop.mall_id]
    body = operator.get("/admin/tenants/client/").content.decode()
    assert re.findall(r'<td class="field-member_count">(\d+)</td>', body)
    assert "연결 안 됨" in body


def test_operator_creates_client_and_sees_secret_once(operator):
    resp = operator.post("/admin/tenants/client/add/", {
        "name": "새 고객사", "slug": "", "mall_id": "newmall", "timezone": "Asia/Seoul",
        "industry": "", "business_type": "", "region": ""}, follow=True)
    assert resp.status_code == 200
    client = Client.objects.get(mall_id="newmall")
    assert client.slug == "newmall" and client.ingest_key.startswith("pk_") and client.secret_hash
    assert "비밀 키(이번 한 번만 표시됩니다): sk_" in resp.content.decode()
    assert AuditEntry.objects.filter(client=client, action="client.create").exists()


def test_add_form_errors_are_korean(operator):
    resp = operator.post("/admin/tenants/client/add/", {"name": "", "timezone": "Mars/Base"})
    body = resp.content.decode()
    assert "필수 항목입니다" in body and "알 수 없는 시간대입니다" in body
    assert not Client.objects.exists()


def test_operator_invites_first_owner(operator, shop, eager_celery, django_capture_on_commit_callbacks):
    page = operator.get(f"/admin/tenants/client/{shop.pk}/change/")
    assert f"/admin/tenants/client/{shop.pk}/invite-owner/" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resp = operator.post(f"/admin/tenants/client/{shop.pk}/invite-owner/", {"email": "boss@shop.kr"})
    assert resp.status_code == 302
    inv = Invitation.objects.get(client=shop)
    assert inv.role == Role.OWNER and inv.email == "boss@shop.kr"
    assert len(mail.outbox) == 1 and "/invite/" in mail.outbox[0].body


def test_deactivate_action_locks_members_out(operator, shop, owner):
    resp = operator.post("/admin/tenants/client/", {"action": "deactivate", "_selected_action": [shop.pk]})
    assert resp.status_code == 302
    shop.refresh_from_db()
    assert not shop.is_active
    assert AuditEntry.objects.filter(client=shop, action="client.deactivate").exists()
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    assert http.get(f"/c/{shop.slug}/").status_code == 404


def test_audit_log_is_browsable_and_read_only(operator, shop, owner):
    AuditEntry.objects.create(client=shop, actor=owner, action="campaign.send", target="봄 세일")
    resp = operator.get("/admin/tenants/auditentry/")
    assert resp.status_code == 200 and "campaign.send" in resp.content.decode()
    assert operator.get("/admin/tenants/auditentry/add/").status_code == 403
    entry = AuditEntry.objects.get(action="campaign.send")
    operator.post(f"/admin/tenants/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_celery_beat_schedules_are_in_the_admin(operator):
    assert operator.get("/admin/django_celery_beat/periodictask/").status_code == 200


def test_marketer_cannot_open_admin(shop, marketer, login):
    resp = login(marketer).get("/admin/tenants/client/")
    assert resp.status_code == 302 and "/admin/login/" in resp["Location"]
