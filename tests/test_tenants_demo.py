"""setup_demo: idempotent demo shop + owner login, with generated events when the store is empty."""
import json

from django.core.management import call_command

from events import clickhouse
from tenants.models import Client, Membership, Role


def _run(capsys, *args) -> dict:
    call_command("setup_demo", *args, "--format", "json")
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_setup_demo_is_idempotent_and_the_login_works(db, settings, tmp_path, capsys, client):
    settings.VAR_DIR = tmp_path
    first = _run(capsys, "--skip-events")
    second = _run(capsys, "--skip-events")
    assert first["password"] == second["password"] == (tmp_path / "demo_password.txt").read_text().strip()
    assert (tmp_path / "demo_password.txt").stat().st_mode & 0o077 == 0  # not readable by others
    demo = Client.objects.get(slug="demo")
    assert demo.name == "데모 상점" and Client.objects.filter(slug="demo").count() == 1
    assert Membership.objects.get(client=demo, user__username="demo").role == Role.OWNER
    resp = client.post("/accounts/login/", {"username": "demo", "password": first["password"]}, follow=True)
    assert "데모 상점 대시보드" in resp.content.decode()


def test_setup_demo_generates_events_once(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    out = _run(capsys, "--visitors", "20", "--days", "2")
    demo = Client.objects.get(slug="demo")
    n = clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": demo.pk}).rows[0][0]
    if "not available" in out["events"]:  # generate_events not merged in this checkout
        assert n == 0
        return
    assert n > 0 and out["events"].endswith("generated")
    again = _run(capsys, "--visitors", "20", "--days", "2")
    assert again["events"].endswith("already loaded")
    assert clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}", {"c": demo.pk}).rows[0][0] == n
