"""Client IPs behind a reverse proxy: lockouts and the audit log key on the real client, and a
forged X-Forwarded-For entry cannot pick someone else's address."""
from tenants.models import AuditEntry, Role
from tenants.net import client_ip_from_meta
from tests.factories import make_member


def test_client_ip_from_meta():
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    assert client_ip_from_meta(meta, 0) == "10.0.0.2"           # no proxy: the socket peer
    assert client_ip_from_meta(meta, 1) == "203.0.113.9"        # what our proxy saw, not the forged left entry
    assert client_ip_from_meta(meta, 2) == "6.6.6.6"
    assert client_ip_from_meta({"REMOTE_ADDR": "10.0.0.2"}, 1) == "10.0.0.2"


def test_lockout_behind_a_proxy_is_per_client_not_per_proxy(shop, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_member(shop, Role.MARKETER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "guess"},
                    HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.2")
    locked = client.post("/accounts/login/", {"username": user.username, "password": "x"},
                         HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.2")
    assert locked.status_code == 429
    # The same user from another client address, through the same proxy, is not locked out.
    from tests.factories import PASSWORD

    ok = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                     HTTP_X_FORWARDED_FOR="203.0.113.50", REMOTE_ADDR="10.0.0.2")
    assert ok.status_code == 302
    assert AuditEntry.objects.filter(action="auth.login_failed", ip_address="198.51.100.7").count() >= 5
    assert AuditEntry.objects.filter(action="auth.login", ip_address="203.0.113.50").exists()
