"""manage.py create_client: JSON out, one-line error and non-zero exit on bad input."""
import json

import pytest
from django.core.management import ManagementUtility, call_command

from tenants.models import Client
from tenants.services import client_check_secret


# The real entry point (exit code, stderr) closes DB connections when it ends, so these tests
# run outside the per-test transaction and Django reconnects afterwards.
pytestmark = pytest.mark.django_db(transaction=True)


def _run(argv, capsys) -> tuple[int, str, str]:
    code = 0
    try:
        ManagementUtility(["manage.py", *argv]).execute()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_create_client_prints_json(capsys):
    code, out, _err = _run(["create_client", "--name", "성수 커피", "--mall-id", "seongsu",
                            "--timezone", "Asia/Tokyo", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    client = Client.objects.get(pk=data["id"])
    assert data["ingest_key"] == client.ingest_key and client.timezone == "Asia/Tokyo"
    assert data["slug"] == "seongsu" and data["mall_id"] == "seongsu"
    assert client_check_secret(client=client, secret=data["secret"])


@pytest.mark.parametrize("argv,needle", [
    (["--name", "x", "--timezone", "Mars/Base"], "알 수 없는 시간대입니다: Mars/Base"),
    (["--name", "  "], "--name must not be empty"),
    (["--name", "dup", "--mall-id", "taken"], "already exists"),
    (["--name", "x" * 300], "name"),
])
def test_bad_input_is_one_line_and_nonzero(capsys, argv, needle):
    call_command("create_client", name="first", mall_id="taken")
    capsys.readouterr()
    before = Client.objects.count()
    code, out, err = _run(["create_client", *argv, "--format", "json"], capsys)
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert Client.objects.count() == before


def test_missing_name_is_an_argument_error(capsys):
    code, _out, err = _run(["create_client"], capsys)
    assert code == 2 and "--name" in err
