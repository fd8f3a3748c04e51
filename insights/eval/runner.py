"""The ask evaluation: run every question of the set through an engine and score the answers.

Expected answers are not stored: each question carries hand-written reference SQL (independent of
our compiler) that is run on the same generated data, so the set stays valid for any dataset the
generator makes. Scores per engine:

- execution accuracy: the answer's kind is right AND its rows equal the reference rows
  (kind A: the same set of visitors; kind B: the same values, any column order, numbers within a
  tolerance, a ratio as 0..1 or percent, a top-N as any valid top N; kind C: nothing more);
- kind accuracy: only the kind is right;
- window accuracy: the window the answer states equals the question's period (A and B).

No Django import: the command (``manage.py eval_ask``) hands in ``run`` (SQL -> Rows) and the
pipeline's ``answer``.
"""
from __future__ import annotations

import itertools
import math
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable
from uuid import UUID
from zoneinfo import ZoneInfo

import yaml

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")
EVAL_CLIENT_ID = -424_242   # negative: can never be a Postgres primary key of a real client
DEFAULT_TOLERANCE = 1e-4
PERCENT_TOLERANCE = 0.01


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    kind: str
    window: tuple[date, date] | None = None
    sql: str | None = None
    compare: str = "value"   # set | value | topn
    n: int | None = None
    ratio: bool = False
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class EvalSet:
    today: date
    timezone: str
    dataset: dict
    items: tuple[Item, ...]


def load(path: str | Path = QUESTIONS_FILE) -> EvalSet:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    items = []
    seen = set()
    for raw in data["questions"]:
        kind = raw["kind"]
        if raw["id"] in seen:
            raise ValueError(f"duplicate question id {raw['id']}")
        seen.add(raw["id"])
        if kind not in ("A", "B", "C"):
            raise ValueError(f"{raw['id']}: kind must be A, B or C")
        if kind != "C" and not (raw.get("sql") and raw.get("window")):
            raise ValueError(f"{raw['id']}: kind {kind} needs sql and window")
        window = tuple(raw["window"]) if raw.get("window") else None
        items.append(Item(
            id=raw["id"], question=str(raw["q"]), kind=kind, window=window, sql=raw.get("sql"),
            compare=raw.get("compare", "set" if kind == "A" else "value"), n=raw.get("n"),
            ratio=bool(raw.get("ratio", False)), tolerance=float(raw.get("tolerance", DEFAULT_TOLERANCE)),
        ))
    return EvalSet(today=data["today"], timezone=data["timezone"], dataset=dict(data["dataset"]),
                   items=tuple(items))


def reference_sql(item: Item, tz: str) -> str:
    """The item's SQL with its macros expanded: $C the client predicate, $W its local-date window."""
    start, end = item.window
    w = (f"created_at >= toDateTime64('{start.isoformat()} 00:00:00', 6, '{tz}') "
         f"AND created_at < toDateTime64('{(end + timedelta(days=1)).isoformat()} 00:00:00', 6, '{tz}')")
    return item.sql.replace("$C", "client_id = {client_id:Int32}").replace("$W", w)


# --- comparing rows -------------------------------------------------------------------------

_DT_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def normalize(cell: Any, tz: str) -> Any:
    """One representation per meaning: numbers as float, instants as local 'YYYY-MM-DD[ HH:MM]'."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float, Decimal)):
        return float(cell)
    if isinstance(cell, UUID):
        return str(cell)
    if isinstance(cell, datetime):
        # clickhouse-connect hands back naive datetimes in UTC
        local = (cell if cell.tzinfo else cell.replace(tzinfo=ZoneInfo("UTC"))).astimezone(ZoneInfo(tz))
        return _local_text(local.replace(tzinfo=None))
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, str) and _DT_TEXT.match(cell):
        return _local_text(datetime.fromisoformat(cell.replace(" ", "T")))  # text from ClickHouse is local
    return str(cell)


def _local_text(dt: datetime) -> str:
    if dt.hour == dt.minute == dt.second == 0:
        return dt.date().isoformat()
    return dt.strftime("%Y-%m-%d %H:%M")


def _num_eq(expected: float, got: float, item: Item) -> bool:
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    tol = max(item.tolerance, 1e-6 * max(abs(expected), abs(got)))
    if abs(expected - got) <= tol:
        return True
    return item.ratio and abs(expected * 100 - got) <= PERCENT_TOLERANCE


def _cell_eq(expected: Any, got: Any, item: Item) -> bool:
    if isinstance(expected, float) and isinstance(got, float):
        return _num_eq(expected, got, item)
    if expected is None or got is None:
        # an empty aggregate: NULL (sum over nothing) and 0 mean the same to a marketer
        return (expected in (None, 0.0)) and (got in (None, 0.0))
    return expected == got


def _row_eq(expected: tuple, got: tuple, item: Item) -> bool:
    return all(_cell_eq(e, g, item) for e, g in zip(expected, got))


def _match_all(expected: list[tuple], got: list[tuple], item: Item) -> bool:
    """Multiset equality under tolerance (greedy is exact here: rows differ in their keys)."""
    if len(expected) != len(got):
        return False
    unused = list(got)
    for row in expected:
        for i, cand in enumerate(unused):
            if _row_eq(row, cand, item):
                del unused[i]
                break
        else:
            return False
    return True


def _is_zero_row(row: tuple) -> bool:
    nums = [c for c in row if isinstance(c, float)]
    return bool(nums) and all(c == 0 for c in nums)


def _projections(expected_width: int, rows: list[tuple]) -> Iterable[list[tuple]]:
    width = len(rows[0]) if rows else expected_width
    for cols in itertools.permutations(range(width), min(expected_width, width)):
        yield [tuple(r[c] for c in cols) for r in rows]


def compare(item: Item, expected_rows: list[tuple], columns: list[str], rows: list[tuple],
            tz: str) -> tuple[bool, str]:
    """(equal?, why not) for an answer's rows against the reference rows."""
    exp = [tuple(normalize(c, tz) for c in r) for r in expected_rows]
    got = [tuple(normalize(c, tz) for c in r) for r in rows]
    if item.compare == "set":
        col = columns.index("uuid") if "uuid" in columns else 0
        want = {r[0] for r in exp}
        have = {r[col] for r in got}
        if want == have:
            return True, ""
        return False, (f"{len(have)} visitors, expected {len(want)} "
                       f"({len(have - want)} extra, {len(want - have)} missing)")
    if not exp:
        return (not got or all(_is_zero_row(r) for r in got)), "expected no rows"
    width = len(exp[0])
    if item.compare == "topn":
        n = min(item.n or len(exp), len(exp))
        top_values = sorted((r[-1] for r in exp), reverse=True)[:n]
        for proj in _projections(width, got):
            if len(proj) != n or not all(any(_row_eq(e, p, item) for e in exp) for p in proj):
                continue
            if all(_num_eq(a, b, item) for a, b in zip(sorted((p[-1] for p in proj), reverse=True), top_values)):
                return True, ""
        return False, f"not a top {n}: got {got[:n]}, expected values {top_values}"
    # Breakdowns may carry filled empty buckets the reference (GROUP BY) does not have.
    candidates = [got]
    if len(got) > len(exp):
        candidates.append([r for r in got if not _is_zero_row(r)])
    for rows_ in candidates:
        if not rows_:
            continue
        for proj in _projections(width, rows_):
            if _match_all(exp, proj, item):
                return True, ""
    return False, f"rows differ: got {got[:5]}{'...' if len(got) > 5 else ''}, expected {exp[:5]}"


# --- running --------------------------------------------------------------------------------

@dataclass
class Result:
    id: str
    question: str
    expected_kind: str
    kind: str | None
    kind_ok: bool
    ok: bool
    window_ok: bool | None
    why: str = ""
    elapsed_ms: float = 0.0
    answered_by: str | None = None
    model_calls: int = 0      # requests to a model (Gemini: 1 + corrections)
    tokens: int = 0           # total tokens the model billed for this question


@dataclass
class Report:
    engine: str
    results: list[Result] = field(default_factory=list)

    def _share(self, values: list[bool]) -> float:
        return round(100.0 * sum(values) / len(values), 1) if values else 0.0

    @property
    def execution_accuracy(self) -> float:
        return self._share([r.ok for r in self.results])

    @property
    def kind_accuracy(self) -> float:
        return self._share([r.kind_ok for r in self.results])

    @property
    def window_accuracy(self) -> float:
        return self._share([r.window_ok for r in self.results if r.window_ok is not None])

    def by_kind(self) -> dict[str, dict]:
        out = {}
        for k in ("A", "B", "C"):
            rs = [r for r in self.results if r.expected_kind == k]
            out[k] = {"n": len(rs), "execution_accuracy": self._share([r.ok for r in rs]),
                      "kind_accuracy": self._share([r.kind_ok for r in rs])}
        return out

    def latency_ms(self) -> dict:
        xs = sorted(r.elapsed_ms for r in self.results)
        if not xs:
            return {}
        return {"p50": round(statistics.median(xs), 1),
                "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 1), "max": round(xs[-1], 1)}

    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.ok]

    def as_dict(self) -> dict:
        return {
            "engine": self.engine, "questions": len(self.results),
            "execution_accuracy": self.execution_accuracy, "kind_accuracy": self.kind_accuracy,
            "window_accuracy": self.window_accuracy, "by_kind": self.by_kind(),
            "latency_ms": self.latency_ms(),
            "model_calls": sum(r.model_calls for r in self.results),
            "tokens": sum(r.tokens for r in self.results),
            "slowest": [{"id": r.id, "ms": r.elapsed_ms}
                        for r in sorted(self.results, key=lambda r: -r.elapsed_ms)[:5]],
            "failures": [asdict(r) for r in self.failures()],
        }


def _window_dates(window: Any) -> tuple[str, str] | None:
    if window is None:
        return None
    if isinstance(window, dict):
        return str(window.get("start")), str(window.get("end"))
    return str(getattr(window, "start", "")), str(getattr(window, "end", ""))


def reference_rows(items: Iterable[Item], *, run: Callable, client_id: int, tz: str) -> dict[str, list[tuple]]:
    """Run every reference query once (they do not depend on the engine).

    ``run`` must return complete results: a read capped at N rows (result_overflow_mode 'break')
    would make a big audience look wrong.
    """
    return {it.id: list(run(reference_sql(it, tz), {"client_id": client_id}).rows)
            for it in items if it.kind != "C"}


def evaluate(evalset: EvalSet, *, engine, answer: Callable, run: Callable, client_id: int,
             expected: dict[str, list[tuple]] | None = None, only: set[str] | None = None,
             limit: int = 100_000) -> Report:
    """Ask every question with ``engine`` through the pipeline's ``answer`` and score it."""
    tz = evalset.timezone
    items = [it for it in evalset.items if not only or it.id in only]
    if expected is None:
        expected = reference_rows(items, run=run, client_id=client_id, tz=tz)
    report = Report(engine=getattr(engine, "name", str(engine)))
    for it in items:
        started = time.perf_counter()
        try:
            ans = answer(it.question, client_id=client_id, timezone=tz, today=evalset.today,
                         engine=engine, run=run, limit=limit)
        except Exception as exc:  # one broken answer must not hide the other 77
            report.results.append(Result(it.id, it.question, it.kind, None, False, False,
                                         None if it.kind == "C" else False,
                                         f"error: {type(exc).__name__}: {str(exc)[:200]}",
                                         round((time.perf_counter() - started) * 1000, 1)))
            continue
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        kind = getattr(ans, "kind", None)
        kind_ok = kind == it.kind
        window_ok = None
        why = ""
        if it.kind != "C":
            got_w = _window_dates(getattr(ans, "window", None))
            window_ok = got_w == (it.window[0].isoformat(), it.window[1].isoformat())
        if not kind_ok:
            reason = getattr(ans, "reason", None)
            why = f"kind {kind}, expected {it.kind}" + (f" ({reason})" if reason else "")
            ok = False
        elif it.kind == "C":
            ok = True
        elif getattr(ans, "truncated", False):
            # A capped audience is right when the reference is larger than the cap and every
            # visitor shown belongs to it.
            ok, why = _truncated_ok(it, expected[it.id], list(ans.columns), list(ans.rows), limit, tz)
        else:
            ok, why = compare(it, expected[it.id], list(ans.columns), list(ans.rows), tz)
        calls, tokens = _model_usage(engine)
        report.results.append(Result(it.id, it.question, it.kind, kind, kind_ok, ok, window_ok, why, elapsed,
                                     getattr(engine, "name", None), calls, tokens))
    return report


def _model_usage(engine) -> tuple[int, int]:
    """Requests and tokens of the engine's last question (GeminiEngine keeps them; rules do not)."""
    usage = getattr(engine, "usage", None) or []
    return int(getattr(engine, "calls", 0) or 0), sum(int(u.get("total_token_count") or 0) for u in usage)


def _truncated_ok(item: Item, expected_rows: list[tuple], columns: list[str], rows: list[tuple],
                  limit: int, tz: str) -> tuple[bool, str]:
    if item.kind != "A" or len(expected_rows) <= limit:
        return False, f"answer truncated at {limit} rows, the reference has {len(expected_rows)}"
    col = columns.index("uuid") if "uuid" in columns else 0
    want = {normalize(r[0], tz) for r in expected_rows}
    have = {normalize(r[col], tz) for r in rows}
    if len(have) == limit and have <= want:
        return True, ""
    return False, f"truncated answer has {len(have - want)} visitors outside the reference"


def format_text(reports: list[Report]) -> str:
    lines = []
    for rep in reports:
        lat = rep.latency_ms()
        lines.append(f"engine {rep.engine}: {len(rep.results)} questions, execution accuracy "
                     f"{rep.execution_accuracy}%, kind accuracy {rep.kind_accuracy}%, window accuracy "
                     f"{rep.window_accuracy}%, latency p50 {lat.get('p50')} ms p95 {lat.get('p95')} ms")
        calls = sum(r.model_calls for r in rep.results)
        if calls:
            lines.append(f"  model: {calls} requests, {sum(r.tokens for r in rep.results):,} tokens")
        for k, v in rep.by_kind().items():
            lines.append(f"  kind {k}: {v['n']} questions, execution {v['execution_accuracy']}%, "
                         f"kind {v['kind_accuracy']}%")
        for r in rep.failures():
            lines.append(f"  FAIL {r.id} [{r.expected_kind}->{r.kind}] {r.question} :: {r.why}")
    return "\n".join(lines)


# --- the dataset ----------------------------------------------------------------------------

def _plain(table):
    # Decode dictionary columns: the evaluation set is small, and plain strings insert the same
    # way whatever dictionaries a generated batch happens to carry.
    import pyarrow as pa

    cols = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c
            for c in (col.combine_chunks() for col in table.columns)]
    return pa.table(cols, names=table.column_names)


def seed_dataset(dataset: dict, *, client_id: int, tz: str, insert_arrow: Callable, count: Callable[[], int],
                 delete: Callable[[], None]) -> dict:
    """Generate the set's shop into the event table under ``client_id`` unless it is already there.

    Deterministic (events/generate.py), so "already there" is a row-count check; a different
    count (another seed or size) is replaced.
    """
    from events.generate import generate

    end = dataset["end"] if isinstance(dataset["end"], date) else date.fromisoformat(str(dataset["end"]))
    tables = [_plain(b.to_arrow()) for b in generate(client_id=client_id, days=int(dataset["days"]),
                                              visitors=int(dataset["visitors"]), seed=int(dataset["seed"]),
                                              end=end, tz=tz)]
    total = sum(t.num_rows for t in tables)
    existing = count()
    if existing == total:
        return {"events": total, "inserted": 0}
    if existing:
        delete()
    # one insert per generated day: each day's table has its own string dictionaries
    inserted = sum(insert_arrow(t) for t in tables)
    return {"events": total, "inserted": inserted}
