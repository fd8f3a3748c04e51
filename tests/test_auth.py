"""Logins: the login form, brute-force lockout, logout, password change and reset, audit, and the
production security settings."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings as dj_settings
from django.core import mail

from tenants.models import AuditEntry, Role
from tests.factories import PASSWORD, make_member

ROOT = Path(__file__).resolve().parent.parent


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_form_leads_to_dashboard_and_is_audited(shop, client):
    user = make_member(shop, Role.MARKETER)
    resp = _login(client, user.username, PASSWORD)
    assert resp.status_code == 302
    dash = client.get(resp["Location"], follow=True)
    assert f"{shop.name} 대시보드" in dash.content.decode()
    assert AuditEntry.objects.filter(action="auth.login", actor=user).exists()
    # Sessions expire: a two-week cookie, not a forever one.
    assert client.cookies["sessionid"]["max-age"] == dj_settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_wrong_password_is_a_korean_error_and_audited(shop, client):
    user = make_member(shop, Role.MARKETER)
    resp = _login(client, user.username, "wrong")
    assert resp.status_code == 200
    assert "비밀번호를 입력하십시오" in resp.content.decode()
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.target == user.username and "wrong" not in str(entry.details)


def test_empty_form_errors_are_korean(db, client):
    body = client.post("/accounts/login/", {}).content.decode()
    assert "필수 항목입니다" in body


def test_brute_force_locks_the_account_even_for_the_right_password(shop, client):
    user = make_member(shop, Role.MARKETER)
    for _ in range(dj_settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "guess")
    resp = _login(client, user.username, PASSWORD)
    assert resp.status_code == 429
    assert "로그인이 잠시 잠겼습니다" in resp.content.decode()
    assert client.get(f"/c/{shop.slug}/").status_code == 302  # still not logged in


def test_logout_is_a_post_and_ends_the_session(shop, owner, login):
    http = login(owner)
    assert http.get(f"/c/{shop.slug}/").status_code == 200
    assert http.post("/accounts/logout/").status_code == 302
    assert http.get(f"/c/{shop.slug}/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor=owner).exists()


def test_password_change(shop, owner, login, client):
    http = login(owner)
    resp = http.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "Hangang-river-2026!", "new_password2": "Hangang-river-2026!"})
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(action="auth.password_change", actor=owner).exists()
    http.logout()
    assert _login(client, owner.username, "Hangang-river-2026!").status_code == 302


def test_password_change_errors_are_korean(shop, owner, login):
    body = login(owner).post("/accounts/password_change/", {
        "old_password": "nope", "new_password1": "a", "new_password2": "b"}).content.decode()
    assert "기존 비밀번호를 잘못 입력하셨습니다" in body


def test_password_reset_by_email(shop, owner, client):
    resp = client.post("/accounts/password_reset/", {"email": owner.email})
    assert resp.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "비밀번호 재설정" in mail.outbox[0].subject and owner.username in body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "새 비밀번호 설정" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(set_url, {"new_password1": "Namsan-tower-99!", "new_password2": "Namsan-tower-99!"})
    assert done.status_code == 302
    assert AuditEntry.objects.filter(action="auth.password_reset", actor=owner).exists()
    assert _login(client, owner.username, "Namsan-tower-99!").status_code == 302
    # The link works once.
    assert "링크가 유효하지 않습니다" in client.get(link, follow=True).content.decode()


def test_unknown_reset_email_does_not_reveal_anything(db, client):
    resp = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert resp.status_code == 302 and mail.outbox == []


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "app.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://app.example.com",
        "DATABASE_URL": "postgres://untitle:pw@db.example.com:5432/untitle",
        "REDIS_URL": "redis://redis.example.com:6379/0",
        "CLICKHOUSE_URL": "http://default:pw@clickhouse.example.com:8123/default",
        "UNTITLE_VAR_DIR": str(tmp_path / "var"),
        # A production run needs its encryption key (check --deploy refuses without one).
        "FIELD_ENCRYPTION_KEY": "k6ODVQX6rq3PnnqCOfxMqCRDZvPEH1c9cIq9Yzq-5Sk=",
    }
    proc = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And the switches that make it pass are really on.
    probe = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
             "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.CSRF_TRUSTED_ORIGINS, s.CELERY_BROKER_URL, "
             "s.CELERY_TASK_ALWAYS_EAGER)")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", probe], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1].split() == ["True", "True", "31536000", "True", "['https://app.example.com']",
                                  "redis://redis.example.com:6379/0", "False"], out.stderr
