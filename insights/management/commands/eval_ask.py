"""manage.py eval_ask [--engine offline|gemini|all] [--format json] — the ask evaluation.

Generates the evaluation shop (insights/eval/questions.yaml: seed, days, visitors, end) into the
event table under a reserved negative client id, runs every question through the pipeline with
each engine, and reports execution, kind and window accuracy and every failure. Gemini runs
only when GEMINI_API_KEY is set. Figures go to docs/benchmarks.md (## Ask evaluation).
"""
from __future__ import annotations

import json
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events import ch_migrate, clickhouse
from gemini import GeminiConfig
from insights.eval import runner


def _uncapped(sql: str, params: dict):
    # Reference answers are complete: the product's read cap (max_result_rows, 'break') would cut
    # a large audience at an arbitrary point. Still readonly, still time-limited.
    return clickhouse.query(sql, params, settings_={"max_result_rows": 0})


class Command(BaseCommand):
    help = "Score the ask engines on the evaluation set (execution and kind accuracy per engine)."

    def add_arguments(self, parser):
        parser.add_argument("--engine", choices=["offline", "gemini", "all"], default=None,
                            help="default: offline, plus gemini when GEMINI_API_KEY is set")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--questions", default=str(runner.QUESTIONS_FILE), help="a questions YAML file")
        parser.add_argument("--only", default="", help="comma-separated question ids")
        parser.add_argument("--client-id", type=int, default=runner.EVAL_CLIENT_ID,
                            help="client id the evaluation data is stored under (reserved, negative)")
        parser.add_argument("--visitors", type=int, default=None, help="override the set's visits per day")
        parser.add_argument("--seed", type=int, default=None, help="override the set's generator seed")
        parser.add_argument("--days", type=int, default=None, help="override the set's number of days")
        parser.add_argument("--end", default=None,
                            help="override the last generated day, YYYY-MM-DD (questions keep their today)")
        parser.add_argument("--cleanup", action="store_true",
                            help="delete the evaluation shop's events afterwards (they are kept for reruns)")
        parser.add_argument("--min-accuracy", type=float, default=None,
                            help="exit 1 when an engine's execution accuracy (%%) is below this")

    def handle(self, *args, **opts):
        try:
            evalset = runner.load(opts["questions"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"평가 질문 파일을 읽을 수 없습니다: {exc}")
        engines = self._engines(opts["engine"])
        only = {s.strip() for s in opts["only"].split(",") if s.strip()} or None
        if only and not only <= {it.id for it in evalset.items}:
            raise CommandError(f"알 수 없는 질문 id: {', '.join(sorted(only - {it.id for it in evalset.items}))}")
        dataset = dict(evalset.dataset)
        for key in ("visitors", "days", "seed"):
            if opts[key] is not None:
                if opts[key] < (0 if key == "seed" else 1):
                    raise CommandError(f"--{key}는 {0 if key == 'seed' else 1} 이상이어야 합니다")
                dataset[key] = opts[key]
        if opts["end"]:
            try:
                dataset["end"] = date.fromisoformat(opts["end"])
            except ValueError:
                raise CommandError(f"--end는 YYYY-MM-DD 형식이어야 합니다 (받은 값: {opts['end']!r})") from None
        cid = opts["client_id"]
        if cid >= 0:
            raise CommandError("--client-id는 음수여야 합니다 (실제 고객사 데이터와 섞이지 않도록)")

        from insights.query.pipeline import answer

        try:
            ch_migrate.migrate()  # a fresh embedded store works too
            seeded = runner.seed_dataset(
                dataset, client_id=cid, tz=evalset.timezone,
                insert_arrow=lambda table: clickhouse.insert_arrow("event", table),
                count=lambda: int(clickhouse.query("SELECT count() FROM event WHERE client_id = {c:Int32}",
                                                   {"c": cid}).rows[0][0]),
                delete=lambda: clickhouse.command("ALTER TABLE event DELETE WHERE client_id = {c:Int32}", {"c": cid},
                                                  settings_={"mutations_sync": 2}))
            run = clickhouse.query
            expected = runner.reference_rows([it for it in evalset.items if not only or it.id in only],
                                             run=_uncapped, client_id=cid, tz=evalset.timezone)
        except clickhouse.ClickHouseUnavailable as exc:
            raise CommandError(f"이벤트 저장소에 연결할 수 없습니다: {str(exc).splitlines()[0][:200]}")

        try:
            reports = [runner.evaluate(evalset, engine=engine, answer=answer, run=run, client_id=cid,
                                       expected=expected, only=only) for engine in engines]
        finally:
            if opts["cleanup"]:
                clickhouse.command("ALTER TABLE event DELETE WHERE client_id = {c:Int32}", {"c": cid},
                                   settings_={"mutations_sync": 2})
        if opts["format"] == "json":
            self.stdout.write(json.dumps({"dataset": {**{k: str(v) for k, v in dataset.items()}, **seeded},
                                          "today": evalset.today.isoformat(),
                                          "reports": [r.as_dict() for r in reports]}, ensure_ascii=False))
        else:
            self.stdout.write(f"dataset: {dataset} -> {seeded['events']:,} events (client {cid}), "
                              f"today {evalset.today}")
            self.stdout.write(runner.format_text(reports))
        floor = opts["min_accuracy"]
        if floor is not None:
            low = [r for r in reports if r.execution_accuracy < floor]
            if low:
                raise CommandError(", ".join(f"{r.engine} {r.execution_accuracy}%" for r in low)
                                   + f" < {floor}% execution accuracy")

    def _engines(self, choice: str | None) -> list:
        from insights.query.pipeline import OfflineEngine

        config = GeminiConfig.from_settings(settings)
        if choice is None:
            choice = "all" if config.enabled else "offline"
        engines = []
        if choice in ("offline", "all"):
            engines.append(OfflineEngine())
        if choice in ("gemini", "all"):
            if not config.enabled:
                if choice == "gemini":
                    raise CommandError("GEMINI_API_KEY가 설정되어 있지 않습니다 (Gemini 평가 불가)")
            else:
                from insights.query.llm import GeminiEngine

                engines.append(GeminiEngine(api_key=config.api_key, model=config.model, timeout=config.timeout,
                                            base_url=config.base_url))
        return engines
