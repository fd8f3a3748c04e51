"""setup_demo leaves the demo ready for a first campaign: a refreshed segment to target, made once."""
import json

from django.core.management import call_command

from insights.facade import audience_choices, audience_members
from insights.models import SegmentSnapshot
from tenants.models import Client


def _run(capsys, *args) -> dict:
    call_command("setup_demo", *args, "--format", "json")
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_setup_demo_leaves_a_refreshed_segment_to_target(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    first = _run(capsys, "--visitors", "300", "--days", "10")
    demo = Client.objects.get(slug="demo")
    segments = [a for a in audience_choices(client=demo) if a.kind == "segment"]
    assert [a.name for a in segments] == ["장바구니 이탈 (최근 30일)"], first
    members = audience_members(client=demo, segment_id=segments[0].id, limit=10_000)
    assert len(members) > 20 and f"{len(members):,} people" in first["segment"]
    # A second start finds the snapshot and does not refresh again (bin/run stays fast).
    _run(capsys, "--visitors", "300", "--days", "10")
    assert SegmentSnapshot.objects.filter(segment_id=segments[0].id).count() == 1
