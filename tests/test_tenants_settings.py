"""The 설정 pages: profile, members, keys, audit log; roles decide who reads and who writes."""
import re

import pytest

from tenants.models import AuditEntry, Client, Membership, Role
from tenants.services import audit_log, client_check_secret
from tests.factories import make_member


def test_dashboard_and_nav(shop, viewer, login):
    body = login(viewer).get(f"/c/{shop.slug}/").content.decode()
    assert f"{shop.name} 대시보드" in body
    for label in ("질문하기", "오디언스", "캠페인", "알림", "고객", "설정"):
        assert label in body
    assert 'data-testid="client-switcher"' in body
    assert f'href="/c/{shop.slug}/events/"' in body


def test_home_redirects_to_first_client_and_switcher_lists_all(shop, other_shop, login):
    user = make_member(shop, Role.VIEWER)
    make_member(other_shop, Role.OWNER, user=user)
    http = login(user)
    resp = http.get("/")
    first = sorted([shop, other_shop], key=lambda c: c.name)[0]
    assert resp.status_code == 302 and resp["Location"] == f"/c/{first.slug}/"
    body = http.get(f"/c/{first.slug}/").content.decode()
    assert f"/c/{shop.slug}/" in body and f"/c/{other_shop.slug}/" in body


def test_home_without_clients_says_so(db, login):
    from tests.factories import UserFactory

    assert "소속된 고객사가 없습니다" in login(UserFactory()).get("/").content.decode()


def test_anonymous_is_sent_to_login(shop, client):
    resp = client.get(f"/c/{shop.slug}/settings/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_every_nav_section_is_a_real_page_and_unknown_ones_404(shop, viewer, login):
    from tenants.views import NAV_SECTIONS

    http = login(viewer)
    for section, label in NAV_SECTIONS:
        resp = http.get(f"/c/{shop.slug}/{section}/")
        assert resp.status_code == 200, section
        assert str(label) in resp.content.decode()
    assert http.get(f"/c/{shop.slug}/nonsense/").status_code == 404


def test_owner_edits_profile_and_it_is_audited(shop, owner, login):
    resp = login(owner).post(f"/c/{shop.slug}/settings/", {
        "name": "새 이름", "timezone": "Asia/Tokyo", "industry": "뷰티", "business_type": "D2C", "region": "부산"})
    assert resp.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.timezone, shop.region) == ("새 이름", "Asia/Tokyo", "부산")
    entry = AuditEntry.objects.get(client=shop, action="client.update")
    assert entry.actor == owner and entry.details["timezone"] == ["Asia/Seoul", "Asia/Tokyo"]


def test_profile_errors_are_in_korean(shop, owner, login):
    resp = login(owner).post(f"/c/{shop.slug}/settings/", {"name": "", "timezone": "Mars/Olympus"})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "필수 항목입니다" in body and "알 수 없는 시간대입니다: Mars/Olympus" in body
    shop.refresh_from_db()
    assert shop.timezone == "Asia/Seoul"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_non_owners_read_profile_but_cannot_change_it(shop, login, role):
    http = login(make_member(shop, role))
    assert "소유자만 바꿀 수 있습니다" in http.get(f"/c/{shop.slug}/settings/").content.decode()
    resp = http.post(f"/c/{shop.slug}/settings/", {"name": "탈취", "timezone": "UTC"})
    assert resp.status_code == 403
    assert "소유자 이상의 역할이 필요합니다" in resp.content.decode()
    shop.refresh_from_db()
    assert shop.name == "가게 A"


def test_owner_changes_role_with_htmx_row_swap(shop, owner, marketer, login):
    m = Membership.objects.get(user=marketer, client=shop)
    resp = login(owner).post(f"/c/{shop.slug}/settings/members/{m.pk}/role/", {"role": "viewer"},
                             HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert body.lstrip().startswith(f'<tr id="member-{m.pk}">') and "저장됨" in body
    m.refresh_from_db()
    assert m.role == Role.VIEWER
    assert AuditEntry.objects.filter(client=shop, action="member.role", target=marketer.username).exists()


def test_last_owner_cannot_be_demoted_or_removed(shop, owner, login):
    m = Membership.objects.get(user=owner, client=shop)
    http = login(owner)
    resp = http.post(f"/c/{shop.slug}/settings/members/{m.pk}/role/", {"role": "viewer"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400 and "마지막 소유자" in resp.content.decode()
    http.post(f"/c/{shop.slug}/settings/members/{m.pk}/remove/")
    m.refresh_from_db()
    assert m.role == Role.OWNER


def test_owner_removes_member(shop, owner, marketer, login):
    m = Membership.objects.get(user=marketer, client=shop)
    resp = login(owner).post(f"/c/{shop.slug}/settings/members/{m.pk}/remove/")
    assert resp.status_code == 302
    assert not Membership.objects.filter(pk=m.pk).exists()
    assert AuditEntry.objects.filter(client=shop, action="member.remove", actor=owner).exists()


def test_marketer_cannot_change_roles(shop, owner, marketer, login):
    m = Membership.objects.get(user=owner, client=shop)
    resp = login(marketer).post(f"/c/{shop.slug}/settings/members/{m.pk}/role/", {"role": "viewer"})
    assert resp.status_code == 403 and "소유자 이상의 역할이 필요합니다" in resp.content.decode()


def test_secret_rotation_shows_the_new_secret_once(shop, owner, login):
    http = login(owner)
    resp = http.post(f"/c/{shop.slug}/settings/keys/", {"rotate": "secret"})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    secret = resp.context["new_secret"]
    assert secret.startswith("sk_") and secret in resp.content.decode()
    shop.refresh_from_db()
    assert client_check_secret(client=shop, secret=secret)
    assert secret not in http.get(f"/c/{shop.slug}/settings/keys/").content.decode()
    assert AuditEntry.objects.filter(client=shop, action="client.rotate_secret", actor=owner).exists()


def test_ingest_key_rotation(shop, owner, login):
    old = shop.ingest_key
    login(owner).post(f"/c/{shop.slug}/settings/keys/", {"rotate": "ingest_key"})
    shop.refresh_from_db()
    assert shop.ingest_key != old and shop.ingest_key.startswith("pk_")


def test_keys_page_roles(shop, marketer, viewer, login, client):
    body = login(marketer).get(f"/c/{shop.slug}/settings/keys/").content.decode()
    assert shop.ingest_key in body
    resp = client.post(f"/c/{shop.slug}/settings/keys/", {"rotate": "secret"})
    assert resp.status_code == 403
    client.force_login(viewer, backend="django.contrib.auth.backends.ModelBackend")
    resp = client.get(f"/c/{shop.slug}/settings/keys/")
    assert resp.status_code == 403 and "마케터 이상의 역할이 필요합니다" in resp.content.decode()


def test_audit_page_is_for_owners_and_paged(shop, other_shop, owner, marketer, login, client):
    for i in range(60):
        audit_log(action="query.run", client=shop, actor=marketer, target=f"q{i}")
    audit_log(action="query.run", client=other_shop, target="secret-of-b")
    http = login(owner)
    page1 = http.get(f"/c/{shop.slug}/settings/audit/").content.decode()
    assert "q59" in page1 and "secret-of-b" not in page1
    assert "1 / 2 쪽" in page1
    assert "q0<" in http.get(f"/c/{shop.slug}/settings/audit/?page=2").content.decode().replace("</td>", "<")
    client.force_login(marketer, backend="django.contrib.auth.backends.ModelBackend")
    resp = client.get(f"/c/{shop.slug}/settings/audit/")
    assert resp.status_code == 403 and "소유자 이상의 역할이 필요합니다" in resp.content.decode()


def test_english_ui_through_i18n(shop, viewer, login):
    http = login(viewer)
    http.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = http.get(f"/c/{shop.slug}/").content.decode()
    assert "Audiences" in body and "Campaigns" in body and "오디언스" not in body


def test_client_is_not_visible_after_deactivation_in_switcher(shop, other_shop, login):
    user = make_member(shop, Role.VIEWER)
    make_member(other_shop, Role.VIEWER, user=user)
    Client.objects.filter(pk=other_shop.pk).update(is_active=False)
    body = login(user).get(f"/c/{shop.slug}/").content.decode()
    assert f"/c/{other_shop.slug}/" not in body


def test_pages_load_nothing_from_a_cdn_and_static_files_are_served_by_the_app(shop, viewer, login):
    http = login(viewer)
    body = http.get(f"/c/{shop.slug}/").content.decode()
    external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"', body)
    assert external == []
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
        resp = http.get(asset)
        assert resp.status_code == 200, asset
        assert b"".join(resp.streaming_content if resp.streaming else [resp.content])


def test_korean_first_even_for_an_english_browser(shop, viewer, login):
    http = login(viewer)
    body = http.get(f"/c/{shop.slug}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "오디언스" in body and 'lang="ko"' in body
    http.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Audiences" in http.get(f"/c/{shop.slug}/", HTTP_ACCEPT_LANGUAGE="ko-KR").content.decode()
