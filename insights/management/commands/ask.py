"""manage.py ask --client-id ID [--today YYYY-MM-DD] [--engine offline|gemini] "question"

Prints the DESIGN.md §6 answer as JSON: {"kind", "sql", "params", "columns", "rows",
"window": {"start", "end"}, "summary", "ir", "truncated", ...}. With --file, one question a line
in, one JSON object a line out (NDJSON). Bad input: a one-line error and exit status 1.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from insights.ask import services
from insights.errors import AskError
from tenants.models import Client


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Command(BaseCommand):
    help = "Answer a marketer's question (Korean or English) for one client; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("question", nargs="?", help="the question, e.g. \"최근 7일 동안 상품을 본 방문자\"")
        parser.add_argument("--client-id", type=int, required=True)
        parser.add_argument("--today", help="the client's local today, YYYY-MM-DD (default: now in its timezone)")
        parser.add_argument("--engine", choices=services.ENGINES, help="default: gemini if GEMINI_API_KEY is set")
        parser.add_argument("--file", help="a text file with one question a line; prints one JSON object a line")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument("--limit", type=int, default=services.RESULT_CAP,
                            help=f"most rows per answer (<= {services.RESULT_CAP}); more sets truncated=true")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"고객사 {opts['client_id']}을(를) 찾을 수 없습니다 (unknown client id)")
        if opts["limit"] < 1:
            raise CommandError("--limit는 1 이상이어야 합니다")
        try:
            today = services.parse_today(opts.get("today"))
        except AskError as exc:
            raise CommandError(exc.message)
        kwargs = dict(client=client, engine=opts.get("engine"), today=today, limit=opts["limit"])
        if opts.get("file"):
            if opts.get("question"):
                raise CommandError("질문과 --file 중 하나만 주세요")
            return self._file(opts["file"], kwargs, opts["format"])
        try:
            answer = services.ask_question(question=opts.get("question") or "", **kwargs)
        except AskError as exc:
            raise CommandError(exc.message)
        self._print(answer, opts["format"])

    def _file(self, path: str, kwargs: dict, fmt: str) -> None:
        try:
            with open(path, encoding="utf-8") as fh:
                lines = [ln.strip() for ln in fh]
        except OSError as exc:
            raise CommandError(f"파일을 읽을 수 없습니다: {path} ({exc.strerror})")
        except UnicodeDecodeError:
            raise CommandError(f"파일이 UTF-8 텍스트가 아닙니다: {path}")
        questions = [ln for ln in lines if ln and not ln.startswith("#")]
        if not questions:
            raise CommandError(f"파일에 질문이 없습니다: {path}")
        failed = 0
        for question in questions:
            try:
                answer = services.ask_question(question=question, **kwargs)
            except AskError as exc:
                # One bad line must not hide the answers to the others; it is reported in place.
                failed += 1
                answer = {"question": question, "kind": None, "error": exc.message, "code": exc.code}
            self._print(answer, fmt)
            self.stdout.flush()
        if failed:
            raise CommandError(f"{failed}개 질문에 답하지 못했습니다 (출력의 error 항목 참고)")

    def _print(self, answer: dict, fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(_dumps(answer))
            return
        if answer.get("error"):
            self.stdout.write(f"{answer['question']}\n  ! {answer['error']}")
            return
        window = answer.get("window") or {}
        head = f"[{answer['kind']}] {answer.get('summary') or answer.get('reason') or ''}"
        if window:
            head += f"  ({window.get('start')} ~ {window.get('end')})"
        self.stdout.write(head)
        cols = answer.get("columns") or []
        if cols:
            self.stdout.write("\t".join(cols))
            for row in (answer.get("rows") or [])[:50]:
                self.stdout.write("\t".join("" if v is None else str(v) for v in row))
            if len(answer.get("rows") or []) > 50:
                self.stdout.write(f"... ({len(answer['rows'])} rows)")
