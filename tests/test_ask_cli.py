"""manage.py ask: the DESIGN.md §6 JSON contract, --file NDJSON, one-line errors with exit 1."""
import io
import json

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from tests.ask_support import product_viewers

pytestmark = pytest.mark.django_db

CONTRACT = {"kind", "sql", "params", "columns", "rows", "window", "summary", "ir", "truncated"}


def run_ask(*args) -> str:
    out = io.StringIO()
    call_command("ask", *args, stdout=out)
    return out.getvalue()


def test_audience_question_prints_the_contract_json(shop, other_shop):
    mine = product_viewers(shop, 3)
    product_viewers(other_shop, 2)
    out = run_ask("--client-id", str(shop.pk), "--today", "2025-08-08", "--engine", "offline",
                  "--format", "json", "최근 7일 동안 상품 3을 본 사람")
    data = json.loads(out)
    assert CONTRACT <= set(data)
    assert data["kind"] == "A"
    assert sorted(r[0] for r in data["rows"]) == mine
    assert data["window"]["start"] == "2025-08-01" and data["window"]["end"] == "2025-08-08"
    assert data["params"]["client_id"] == shop.pk
    assert data["truncated"] is False
    assert data["ir"]["kind"] == "A"


def test_every_uuid_up_to_the_cap_then_truncated(shop):
    product_viewers(shop, 7)
    data = json.loads(run_ask("--client-id", str(shop.pk), "--today", "2025-08-08", "--engine", "offline",
                              "--limit", "5", "최근 7일 동안 상품 3을 본 사람"))
    assert len(data["rows"]) == 5 and data["truncated"] is True
    data = json.loads(run_ask("--client-id", str(shop.pk), "--today", "2025-08-08", "--engine", "offline",
                              "--limit", "7", "최근 7일 동안 상품 3을 본 사람"))
    assert len(data["rows"]) == 7 and data["truncated"] is False


def test_file_of_questions_prints_one_json_object_a_line(shop, tmp_path):
    product_viewers(shop, 2)
    qfile = tmp_path / "QUESTIONS.txt"
    qfile.write_text("최근 7일 동안 상품 3을 본 사람\n\n# a comment line is skipped\n내일 날씨 어때?\n", encoding="utf-8")
    out = run_ask("--client-id", str(shop.pk), "--today", "2025-08-08", "--engine", "offline", "--file", str(qfile))
    lines = out.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["kind"] == "A" and len(first["rows"]) == 2
    assert first["question"] == "최근 7일 동안 상품 3을 본 사람"
    assert second["kind"] == "C"


def test_file_with_a_bad_line_reports_it_in_place_and_fails(shop, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("최근 7일 방문자 수\n" + "가" * 600 + "\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1개 질문"):
        call_command("ask", "--client-id", str(shop.pk), "--engine", "offline", "--file", str(qfile), stdout=out)
    lines = [json.loads(x) for x in out.getvalue().strip().splitlines()]
    assert len(lines) == 2 and lines[0]["kind"] in ("B", "C") and "질문이 너무 깁니다" in lines[1]["error"]


@pytest.mark.parametrize("argv, message", [
    (["--client-id", "987654", "방문자 수"], "찾을 수 없습니다"),
    (["--client-id", "{shop}", ""], "질문을 입력해 주세요"),
    (["--client-id", "{shop}", "가" * 501], "질문이 너무 깁니다"),
    (["--client-id", "{shop}", "--today", "2025-13-40", "방문자 수"], "날짜 형식"),
    (["--client-id", "{shop}", "--file", "/nonexistent/q.txt"], "파일을 읽을 수 없습니다"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_1(shop, capsys, argv, message):
    argv = [a.replace("{shop}", str(shop.pk)) for a in argv]
    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["manage.py", "ask", "--engine", "offline", *argv])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
