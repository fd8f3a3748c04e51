"""Invitations by e-mailed link: one use, expiry, no account left behind on failure."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from tenants.models import AuditEntry, Invitation, Membership, Role
from tenants.services import InvitationInvalid, invitation_accept, invitation_create
from tests.factories import make_member

User = get_user_model()


@pytest.fixture
def eager_celery():
    """Run tasks in-line: the point here is the e-mail, the worker path is tested in test_tenants_serve."""
    from untitle.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def _link(message) -> str:
    m = re.search(r"https?://\S+/invite/(\S+)/", message.body)
    assert m, message.body
    return m.group(1)


def test_owner_invites_by_email_and_the_link_creates_an_account(shop, owner, login, client, eager_celery,
                                                               django_capture_on_commit_callbacks, settings):
    settings.PUBLIC_BASE_URL = "https://app.example.com"
    http = login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        resp = http.post(f"/c/{shop.slug}/settings/members/", {"email": "New.Person@Example.com", "role": "viewer"})
    assert resp.status_code == 302
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["new.person@example.com"]
    assert shop.name in msg.subject
    assert "https://app.example.com/invite/" in msg.body
    token = _link(msg)
    # Only a hash is stored.
    assert not Invitation.objects.filter(token_hash=token).exists()

    http.logout()
    page = http.get(f"/invite/{token}/")
    assert page.status_code == 200 and shop.name in page.content.decode()
    resp = http.post(f"/invite/{token}/", {"username": "newperson", "password1": "Sungsu-ro 7 cafe!",
                                           "password2": "Sungsu-ro 7 cafe!"})
    assert resp.status_code == 302 and resp["Location"] == f"/c/{shop.slug}/"
    user = User.objects.get(username="newperson")
    assert user.email == "new.person@example.com"
    assert Membership.objects.get(user=user, client=shop).role == Role.VIEWER
    # The new member is logged in and sees the dashboard.
    assert http.get(f"/c/{shop.slug}/").status_code == 200
    assert AuditEntry.objects.filter(client=shop, action="invitation.accept", actor=user).exists()


def test_used_link_shows_a_clear_page_and_creates_no_account(shop, owner, client):
    _inv, token = invitation_create(client=shop, email="a@example.com", role=Role.MARKETER, actor=owner)
    invitation_accept(token=token, username="first", password="Pa55word-long-enough")
    resp = client.post(f"/invite/{token}/", {"username": "second", "password1": "Pa55word-long-enough",
                                             "password2": "Pa55word-long-enough"})
    assert resp.status_code == 410
    assert "이미 사용된 초대입니다" in resp.content.decode()
    assert not User.objects.filter(username="second").exists()
    assert client.get(f"/invite/{token}/").status_code == 410


def test_expired_link_shows_a_clear_page_and_creates_no_account(shop, owner, client):
    inv, token = invitation_create(client=shop, email="b@example.com", actor=owner)
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for resp in (client.get(f"/invite/{token}/"),
                 client.post(f"/invite/{token}/", {"username": "late", "password1": "Pa55word-long-enough",
                                                   "password2": "Pa55word-long-enough"})):
        assert resp.status_code == 410
        assert "초대가 만료되었습니다" in resp.content.decode()
    assert not User.objects.filter(username="late").exists()


def test_unknown_token_is_404_with_a_page(db, client):
    resp = client.get("/invite/not-a-real-token/")
    assert resp.status_code == 404
    assert "유효하지 않은 초대입니다" in resp.content.decode()


def test_signup_errors_are_in_korean_and_create_nothing(shop, owner, client):
    _inv, token = invitation_create(client=shop, email="c@example.com", actor=owner)
    resp = client.post(f"/invite/{token}/", {"username": "c", "password1": "abc", "password2": "abd"})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "비밀번호" in body and "일치하지 않습니다" in body
    assert not User.objects.filter(username="c").exists()
    # The link is still usable after a failed attempt.
    assert client.get(f"/invite/{token}/").status_code == 200


def test_logged_in_user_just_joins_and_keeps_a_higher_role(shop, other_shop, login):
    existing = make_member(other_shop, Role.OWNER)
    _inv, token = invitation_create(client=shop, email=existing.email, role=Role.MARKETER)
    http = login(existing)
    page = http.get(f"/invite/{token}/")
    assert existing.username in page.content.decode()
    assert http.post(f"/invite/{token}/").status_code == 302
    assert Membership.objects.get(user=existing, client=shop).role == Role.MARKETER
    # A second invitation with a lower role does not demote.
    _inv2, token2 = invitation_create(client=shop, email=existing.email, role=Role.VIEWER)
    http.post(f"/invite/{token2}/")
    assert Membership.objects.get(user=existing, client=shop).role == Role.MARKETER


def test_accepting_twice_in_the_service_fails_the_second_time(shop):
    _inv, token = invitation_create(client=shop, email="d@example.com")
    invitation_accept(token=token, username="d1", password="Pa55word-long-enough")
    with pytest.raises(InvitationInvalid) as exc:
        invitation_accept(token=token, username="d2", password="Pa55word-long-enough")
    assert exc.value.reason == "used"
    assert not User.objects.filter(username="d2").exists()


def test_revoked_invitation_link_stops_working(shop, owner, login):
    inv, token = invitation_create(client=shop, email="e@example.com", actor=owner)
    http = login(owner)
    assert http.post(f"/c/{shop.slug}/settings/invitations/{inv.pk}/revoke/").status_code == 302
    http.logout()
    assert http.get(f"/invite/{token}/").status_code == 404


def test_invitation_to_a_deactivated_client_is_invalid(shop, client):
    _inv, token = invitation_create(client=shop, email="f@example.com")
    shop.is_active = False
    shop.save()
    assert client.get(f"/invite/{token}/").status_code == 404


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_only_owners_invite(shop, login, role):
    user = make_member(shop, role)
    resp = login(user).post(f"/c/{shop.slug}/settings/members/", {"email": "x@example.com", "role": "owner"})
    assert resp.status_code == 403
    assert "소유자 이상의 역할이 필요합니다" in resp.content.decode()
    assert not Invitation.objects.exists()


def test_invite_form_errors_are_in_korean(shop, owner, login):
    resp = login(owner).post(f"/c/{shop.slug}/settings/members/", {"email": "not-an-email", "role": "boss"})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "유효한 이메일 주소를 입력하세요" in body
    assert "올바르게 선택해 주세요" in body
    assert not Invitation.objects.exists()
