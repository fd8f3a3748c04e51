"""manage.py setup_demo: the demo shop and its owner login, for the embedded run. Idempotent.

The demo password is generated on the first run and kept under VAR_DIR, so a re-run prints the
same login instead of silently changing it.

It lives in events, not tenants: it creates a shop (tenants, below) and fills it with generated
events (this app), and events is the lowest app allowed to reach both.
"""
import io
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from events import clickhouse
from tenants.facade import client_create, membership_add
from tenants.models import Client, Membership, Role

DEMO_SLUG = "demo"
DEMO_NAME = "데모 상점"
DEMO_USERNAME = "demo"
# The audience a new user's first (simulated) campaign targets: shoppers who left something in the
# cart this month without ordering, the classic retargeting list (~1,000 people in the demo).
DEMO_SEGMENT = "장바구니 이탈 (최근 30일)"
DEMO_SEGMENT_RULES = {"op": "and", "items": [{"filter": "cart_no_order", "params": {"days": 30}}]}


def _password_file():
    return settings.VAR_DIR / "demo_password.txt"


def _demo_password() -> str:
    path = _password_file()
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create (once) the demo client and demo owner, load demo events, print the login."

    def add_arguments(self, parser):
        # Visits per day for generate_events: a month of a small shop in a few seconds.
        parser.add_argument("--visitors", type=int, default=1000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--skip-events", action="store_true", help="do not generate demo events")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        client = Client.objects.filter(slug=DEMO_SLUG).first()
        if client is None:
            client, _secret = client_create(name=DEMO_NAME, slug=DEMO_SLUG, mall_id=None,
                                            industry="패션", business_type="온라인 쇼핑몰", region="서울")
        password = _demo_password()
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            user = User.objects.create_user(username=DEMO_USERNAME, email="demo@example.com", password=password)
        elif not user.check_password(password):
            # The password file is the source of truth for the demo login.
            user.set_password(password)
            user.save(update_fields=["password"])
        if not Membership.objects.filter(client=client, user=user, role=Role.OWNER).exists():
            membership_add(client=client, user=user, role=Role.OWNER)

        events_note = "skipped" if opts["skip_events"] else self._ensure_events(client, opts)
        segment_note = "skipped" if opts["skip_events"] else self._ensure_segment(client)
        login_url = settings.PUBLIC_BASE_URL.rstrip("/") + "/accounts/login/"
        if opts["format"] == "json":
            self.stdout.write(json.dumps({"client_id": client.pk, "slug": client.slug, "login_url": login_url,
                                          "username": DEMO_USERNAME, "password": password,
                                          "events": events_note, "segment": segment_note}, ensure_ascii=False))
            return
        self.stdout.write(self.style.SUCCESS("UNTITLE demo is ready"))
        self.stdout.write(f"  URL:      {login_url}")
        self.stdout.write(f"  username: {DEMO_USERNAME}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write(f"  shop:     {client.name} (id {client.pk}), events: {events_note}")
        self.stdout.write(f"  segment:  {segment_note}")

    def _ensure_segment(self, client) -> str:
        """A refreshed segment to target, made once: later runs find its snapshot and skip the
        refresh (the segment's own daily schedule keeps it current), so bin/run stays fast."""
        out = io.StringIO()
        try:
            # By name, not import: segments belong to insights, a layer above events.
            call_command("ensure_segment", client_id=client.pk, name=DEMO_SEGMENT,
                         rules=json.dumps(DEMO_SEGMENT_RULES), stdout=out)
        except Exception as exc:  # the demo still starts; the user can build a segment by hand
            return f"not ready ({type(exc).__name__}: {exc})"[:200]
        seg = json.loads(out.getvalue().strip().splitlines()[-1])
        return f"{seg['name']} (id {seg['id']}), {seg['size']:,} people"

    def _ensure_events(self, client, opts) -> str:
        count = "SELECT count() FROM event WHERE client_id = {cid:Int32}"
        try:
            existing = clickhouse.query(count, {"cid": client.pk}).rows[0][0]
        except Exception as exc:
            return f"event store unavailable ({type(exc).__name__})"
        if existing:
            return f"{existing:,} already loaded"
        call_command("generate_events", client_id=client.pk, days=opts["days"], visitors=opts["visitors"], seed=1)
        n = clickhouse.query(count, {"cid": client.pk}).rows[0][0]
        return f"{n:,} generated"
