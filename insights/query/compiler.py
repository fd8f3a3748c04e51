"""IR -> ClickHouse SQL with bound parameters, exactly per DESIGN.md §5.

Every read of ``event`` starts with the sort key, in order: ``client_id = {client_id:Int32}``,
``event_type`` (literal codes from our catalog), then the ``created_at`` window; the other
filters follow as bound parameters — a user value is never formatted into the SQL text.

Shape: one flat ``WITH`` list, one CTE per condition; AND is an INNER JOIN on ``uuid``, OR is
``UNION DISTINCT``, NOT is ``LEFT JOIN ... WHERE x.uuid IS NULL``. That last form needs
``join_use_nulls = 1``: without it ClickHouse fills unmatched rows with the zero UUID and
``IS NULL`` silently matches nothing (measured on chDB 26), so compiled queries carry the
setting. ``windowFunnel`` only takes DateTime, hence ``toDateTime(created_at)`` in sequences
(second precision is enough for "within N minutes").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.sql import IDENTITY

from . import ir
from .window import ResolvedWindow, resolve

START_CODES = ir.START_CODES
TAIL_SETTINGS = "SETTINGS join_use_nulls = 1"


def visitor_codes(event: str) -> tuple[int, ...] | None:
    """The codes that make someone a visitor who did ``event``; None = no event_type filter.

    One rule for "active visitor" everywhere (any_event with or without field filters, "방문자 수",
    the population NOT is taken against): anyone with ANY event in the window, *_end rows
    included. An end row without its start (a view that began before the window) is still a
    visit inside it. Counting events, on the other hand, never counts an *_end row.
    """
    return None if event == ir.ANY_EVENT else ir.event_codes(event)


class CompileError(ValueError):
    """The IR is valid but asks for something the compiler cannot express (message in Korean)."""


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict
    window: ResolvedWindow
    kind: str
    limit: int = 100_000


@dataclass
class _Builder:
    client_id: int
    tz: str
    today: date
    window: ResolvedWindow
    ctes: list[tuple[str, str]] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    _n: int = 0
    _windows: dict = field(default_factory=dict)
    _base: str | None = None
    result_rows: int = 100_001

    def name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def param(self, stem: str, value, typ: str) -> str:
        key = f"{stem}_{len(self.params)}"
        self.params[key] = value
        return f"{{{key}:{typ}}}"

    def cte(self, prefix: str, body: str) -> str:
        n = self.name(prefix)
        self.ctes.append((n, body))
        return n

    # --- windows ---------------------------------------------------------------------------
    def window_sql(self, w: ir.Window | None) -> str:
        if w is None:
            return "created_at >= {w_start:DateTime64(6, 'UTC')} AND created_at < {w_end:DateTime64(6, 'UTC')}"
        rw = resolve(w, today=self.today, tz=self.tz)
        if (rw.start, rw.end) == (self.window.start, self.window.end):
            return self.window_sql(None)
        key = (rw.start, rw.end)
        if key not in self._windows:
            i = len(self._windows) + 1
            self.params[f"w{i}_start"] = _ts(rw.start_utc)
            self.params[f"w{i}_end"] = _ts(rw.end_utc)
            self._windows[key] = i
        i = self._windows[key]
        return (f"created_at >= {{w{i}_start:DateTime64(6, 'UTC')}} "
                f"AND created_at < {{w{i}_end:DateTime64(6, 'UTC')}}")

    def head(self, codes: tuple[int, ...] | None, w: ir.Window | None = None) -> list[str]:
        """The sort-key prefix every table reference starts with."""
        preds = ["client_id = {client_id:Int32}"]
        if codes is not None:
            preds.append(f"event_type = {codes[0]}" if len(codes) == 1
                         else f"event_type IN ({', '.join(str(c) for c in codes)})")
        preds.append(self.window_sql(w))
        return preds

    # --- field filters ---------------------------------------------------------------------
    def filters_sql(self, f: ir.EventFilters, event: str | None = None) -> list[str]:
        out = []
        for name, value in f:
            if value is None or name == "order_total":  # order_total is a HAVING on whole orders
                continue
            col = ir.FILTER_COLUMNS[name]
            if name == "category_id" and event in ir.PRODUCT_CATEGORY_EVENTS:
                # These rows carry no category: a product belongs to the categories it was viewed under.
                vals = [str(v) for v in value]
                out.append(f"product_id IN (SELECT DISTINCT product_id FROM event WHERE client_id = {{client_id:Int32}} "
                           f"AND event_type = {ir.event_code('product_view')} "
                           f"AND category_id IN {self.param(name, vals, 'Array(String)')})")
                continue
            if name == "visitor_id":
                out.append(f"uuid IN {self.param(name, [str(v) for v in value], 'Array(UUID)')}")
                continue
            if isinstance(value, list):
                vals = [str(v) for v in value]
                if len(vals) == 1:
                    out.append(f"{col} = {self.param(name, vals[0], 'String')}")
                else:
                    out.append(f"{col} IN {self.param(name, vals, 'Array(String)')}")
            elif isinstance(value, ir.Range):
                typ = "UInt8" if col in ("product_quantity", "scroll_bucket") else "UInt32"
                if value.gte is not None:
                    out.append(f"{col} >= {self.param(name, value.gte, typ)}")
                if value.lte is not None:
                    out.append(f"{col} <= {self.param(name, value.lte, typ)}")
            elif name == "keyword_contains":
                out.append(f"positionCaseInsensitiveUTF8(keyword, {self.param(name, value, 'String')}) > 0")
            elif name == "page_url_contains":
                out.append(f"position(page_url, {self.param(name, value, 'String')}) > 0")
            else:  # pragma: no cover - every filter kind is handled above
                raise CompileError(f"알 수 없는 조건입니다: {name}")
        return out

    def step_predicate(self, step: ir.EventStep) -> str:
        if step.filters.order_total is not None:
            raise CompileError("주문 합계 금액 조건은 방문자 조건에서만 쓸 수 있습니다")
        codes = ir.event_codes(step.event)
        parts = [f"event_type = {codes[0]}" if len(codes) == 1 else f"event_type IN ({', '.join(map(str, codes))})"]
        parts += self.filters_sql(step.filters, step.event)
        return " AND ".join(parts)

    # --- per-visitor nodes -> CTE of distinct uuid -----------------------------------------
    def base(self) -> str:
        """Visitors active in the query window: the population NOT is taken against."""
        if self._base is None:
            self._base = self.cte("active", "SELECT DISTINCT uuid FROM event WHERE " + " AND ".join(self.head(None)))
        return self._base

    def node(self, n) -> str:
        if isinstance(n, ir.EventCondition):
            return self.event_condition(n)
        if isinstance(n, ir.SequenceCondition):
            return self.sequence(n)
        if isinstance(n, ir.Not):
            return self.anti(self.base(), [self.node(n.item)])
        if isinstance(n, ir.Group):
            if n.op == "or":
                merged, rest = self.merged_any(list(n.items))
                names = merged + [self.node(i) for i in rest]
                if len(names) == 1:
                    return names[0]
                return self.cte("any", "\n  UNION DISTINCT\n  ".join(f"SELECT uuid FROM {x}" for x in names))
            items, lapsed = self.lapsed_pairs(list(n.items))
            positives = lapsed + [self.node(i) for i in items if not isinstance(i, ir.Not)]
            negatives = [self.node(i.item) for i in items if isinstance(i, ir.Not)]
            left = self.intersect(positives) if positives else self.base()
            return self.anti(left, negatives) if negatives else left
        raise CompileError(f"알 수 없는 조건 형식입니다: {type(n).__name__}")

    def _resolved(self, w: ir.Window | None) -> ResolvedWindow:
        return self.window if w is None else resolve(w, today=self.today, tz=self.tz)

    def merged_any(self, items: list) -> tuple[list[str], list]:
        """"Did A or B (same period and field filters, at least once)" as one scan of
        ``event_type IN (a, b)`` instead of two scans and a UNION (e.g. 로그인 or 회원가입)."""
        def key(c):
            if not (isinstance(c, ir.EventCondition) and c.count == ir.Count() and c.total_amount is None
                    and c.avg_order is None and c.filters.order_total is None and c.filters.category_id is None
                    and c.event != ir.ANY_EVENT):
                return None
            return (c.window.model_dump_json() if c.window else "", c.filters.model_dump_json())

        groups: dict = {}
        for i, c in enumerate(items):
            k = key(c)
            if k is not None:
                groups.setdefault(k, []).append(i)
        out, used = [], set()
        for idx in groups.values():
            if len(idx) < 2:
                continue
            first = items[idx[0]]
            codes = tuple(sorted({code for i in idx for code in ir.event_codes(items[i].event)}))
            where = self.head(codes, first.window) + self.filters_sql(first.filters, first.event)
            out.append(self.cte("c", "SELECT DISTINCT uuid FROM event WHERE " + " AND ".join(where)))
            used.update(idx)
        return out, [c for i, c in enumerate(items) if i not in used]

    def lapsed_pairs(self, items: list) -> tuple[list, list[str]]:
        """"Did X in the last N days but not in the last M (< N)" in one pass instead of two scans
        and an anti-join: the visitor's latest X in the long window falls before the short one.

        Only for plain conditions (same event and filters, "at least once", no totals) whose
        windows end together; anything else keeps the general form.
        """
        def plain(c) -> bool:
            return (isinstance(c, ir.EventCondition) and c.count == ir.Count() and c.total_amount is None
                    and c.avg_order is None and c.filters.order_total is None)

        out, done = [], set()
        for i, pos in enumerate(items):
            if i in done or not plain(pos):
                continue
            for j, neg in enumerate(items):
                if j in done or j == i or not isinstance(neg, ir.Not) or not plain(neg.item):
                    continue
                n = neg.item
                if (n.event, n.filters) != (pos.event, pos.filters):
                    continue
                long_w, short_w = self._resolved(pos.window), self._resolved(n.window)
                if long_w.end_utc != short_w.end_utc or not short_w.start_utc > long_w.start_utc:
                    continue
                where = self.head(visitor_codes(pos.event), pos.window) + self.filters_sql(pos.filters, pos.event)
                cut = self.param("since", _ts(short_w.start_utc), "DateTime64(6, 'UTC')")
                out.append(self.cte("lapsed", f"SELECT uuid FROM event WHERE {' AND '.join(where)} "
                                              f"GROUP BY uuid HAVING max(created_at) < {cut}"))
                done.update((i, j))
                break
        return [x for k, x in enumerate(items) if k not in done], out

    def event_condition(self, c: ir.EventCondition) -> str:
        where = self.head(visitor_codes(c.event), c.window) + self.filters_sql(c.filters, c.event)
        sql = "SELECT uuid FROM event WHERE " + " AND ".join(where)
        cnt = c.count
        counted = "count()"
        extra = []  # per-visitor value conditions (total spend, AOV) beside the count
        if c.total_amount is not None:
            extra += self.range_having("sum(amount)", c.total_amount, "total")
        if c.avg_order is not None:
            # the order total is the sum of its lines: average over orders, not over lines
            extra += self.range_having("avg(order_amount)", c.avg_order, "aov")
        if c.event == "order_complete" and (c.filters.order_total is not None or c.avg_order is not None
                                            or not (cnt.op == ">=" and cnt.value == 1)):
            # an order is one event per line: count orders, and total an order over its lines
            having = ""
            if c.filters.order_total is not None:
                r = c.filters.order_total
                conds = ([f"sum(amount) >= {self.param('order_total', r.gte, 'UInt64')}"] if r.gte is not None else []) \
                    + ([f"sum(amount) <= {self.param('order_total', r.lte, 'UInt64')}"] if r.lte is not None else [])
                having = " HAVING " + " AND ".join(conds)
            orders = self.cte("orders", sql.replace("SELECT uuid", "SELECT uuid, order_id, sum(amount) AS order_amount", 1)
                              + f" GROUP BY uuid, order_id{having}")
            sql = f"SELECT uuid FROM {orders}"
            extra = [e.replace("sum(amount)", "sum(order_amount)") for e in extra]
        if cnt.op == ">=" and cnt.value == 1 and not extra:
            return self.cte("c", sql.replace("SELECT uuid", "SELECT DISTINCT uuid", 1))
        if cnt.op == ">=" and cnt.value == 1:
            having = []
        elif cnt.op == "between":
            having = [f"{counted} BETWEEN {self.param('n', cnt.value, 'UInt32')} "
                      f"AND {self.param('n', cnt.value2, 'UInt32')}"]
        else:
            having = [f"{counted} {cnt.op} {self.param('n', cnt.value, 'UInt32')}"]
        return self.cte("c", f"{sql} GROUP BY uuid HAVING {' AND '.join(having + extra)}")

    def range_having(self, expr: str, r: ir.Range, stem: str) -> list[str]:
        out = []
        if r.gte is not None:
            out.append(f"{expr} >= {self.param(stem, r.gte, 'UInt64')}")
        if r.lte is not None:
            out.append(f"{expr} <= {self.param(stem, r.lte, 'UInt64')}")
        return out

    def sequence(self, s: ir.SequenceCondition) -> str:
        codes = tuple(sorted({c for st in s.steps for c in ir.event_codes(st.event)}))
        w = s.window
        rw = resolve(w, today=self.today, tz=self.tz) if w else self.window
        seconds = s.within.seconds() if s.within else int((rw.end_utc - rw.start_utc).total_seconds())
        preds = [self.step_predicate(st) for st in s.steps]
        steps = ", ".join(preds)
        # rows that match no step cannot move the funnel; dropping them early halves the work
        where = self.head(codes, w) + ["(" + " OR ".join(f"({p})" for p in preds) + ")"]
        return self.cte("seq", f"SELECT uuid FROM event WHERE {' AND '.join(where)} GROUP BY uuid "
                               f"HAVING windowFunnel({seconds})(toDateTime(created_at), {steps}) = {len(s.steps)}")

    def intersect(self, names: list[str]) -> str:
        if len(names) == 1:
            return names[0]
        sql = f"SELECT t0.uuid AS uuid FROM {names[0]} AS t0"
        for i, x in enumerate(names[1:], 1):
            sql += f" INNER JOIN {x} AS t{i} ON t{i}.uuid = t0.uuid"
        return self.cte("all", sql)

    def anti(self, left: str, rights: list[str]) -> str:
        sql = f"SELECT l.uuid AS uuid FROM {left} AS l"
        nulls = []
        for i, x in enumerate(rights):
            sql += f" LEFT JOIN {x} AS r{i} ON r{i}.uuid = l.uuid"
            nulls.append(f"r{i}.uuid IS NULL")
        return self.cte("but", f"{sql} WHERE {' AND '.join(nulls)}")

    def render(self, select: str) -> str:
        # The result cap rides in the query: with result_overflow_mode='break' a session cap below
        # LIMIT limit+1 stops at a block boundary and would hide that the list was truncated.
        tail = f"{TAIL_SETTINGS}, max_result_rows = {int(self.result_rows)}"
        if not self.ctes:
            return f"{select}\n{tail}"
        withs = ",\n".join(f"{n} AS (\n  {body}\n)" for n, body in self.ctes)
        return f"WITH\n{withs}\n{select}\n{tail}"


def _ts(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def compile_query(q: ir.Query, *, client_id: int, timezone: str, today: date,
                  limit: int = 100_000) -> CompiledQuery:
    if q.kind == "C":
        raise CompileError("답할 수 없는 질문(C)은 SQL로 바꾸지 않습니다")
    if not isinstance(client_id, int) or isinstance(client_id, bool):
        raise CompileError("client_id must be an int")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CompileError(f"알 수 없는 시간대입니다: {timezone}") from exc
    window = resolve(q.window, today=today, tz=timezone)
    b = _Builder(client_id=client_id, tz=timezone, today=today, window=window, result_rows=int(limit) + 1)
    b.params.update(client_id=client_id, w_start=_ts(window.start_utc), w_end=_ts(window.end_utc))
    if q.kind == "A":
        sql = _audience(b, q, limit)
    else:
        sql = _aggregate(b, q, limit)
    return CompiledQuery(sql=sql, params=b.params, window=window, kind=q.kind, limit=limit)


def _audience(b: _Builder, q: ir.Query, limit: int) -> str:
    aud = b.node(q.audience)
    # Cafe24 member id where known: the latest login_id the visitor logged in or signed up with.
    members = b.cte("members", f"SELECT uuid, argMax(login_id, created_at) AS login_id FROM event "
                               f"WHERE client_id = {{client_id:Int32}} AND event_type IN {IDENTITY} "
                               f"AND uuid IN (SELECT uuid FROM {aud}) GROUP BY uuid")
    # One row past the cap tells the caller the list was truncated.
    return b.render(f"SELECT a.uuid AS uuid, m.login_id AS member_id\nFROM {aud} AS a "
                    f"LEFT JOIN {members} AS m ON m.uuid = a.uuid\nORDER BY a.uuid\nLIMIT {int(limit) + 1}")


_GROUP_EXPR = {
    "hour": "toString(toStartOfHour(created_at, {tz:String})) AS hour",
    "day": "toDate(created_at, {tz:String}) AS day",
    "week": "toMonday(created_at, {tz:String}) AS week",
    "product": "product_id AS product",
    "category": "category_id AS category",
    "keyword": "keyword AS keyword",
    "event_type": "event_type AS event_type",
}
_TIME = ("hour", "day", "week")
_GROUP_COLUMN = {"product": "product_id", "category": "category_id", "keyword": "keyword"}


def _aggregate(b: _Builder, q: ir.Query, limit: int) -> str:
    a = q.aggregate
    pop = b.node(q.audience) if q.audience is not None else None
    if a.metric == "ratio":
        return _ratio(b, a, pop)
    if a.metric == "funnel":
        return _funnel(b, a, pop)

    step = a.event
    if step is not None and step.filters.order_total is not None:
        raise CompileError("주문 합계 금액 조건은 방문자 조건에서만 쓸 수 있습니다. '10만원 이상 주문한 고객'처럼 물어 주세요")
    if a.metric in ("orders", "revenue", "aov"):
        step = step or ir.EventStep(event="order_complete")
    if step is not None:
        codes = ir.event_codes(step.event)
        if a.metric == "visitors":
            codes = visitor_codes(step.event)
        elif step.event == ir.ANY_EVENT:
            codes = START_CODES  # counting events: a view is its start row only
        where = b.head(codes) + b.filters_sql(step.filters, step.event)
    elif a.metric == "events" or "event_type" in a.group_by:
        where = b.head(START_CODES)  # views count once: *_end rows are never events
    else:
        where = b.head(None)  # "visitors" with no event = everyone active in the window
    if pop is not None:
        where.append(f"uuid IN (SELECT uuid FROM {pop})")
    for g in a.group_by:  # a product breakdown over rows without a product is noise
        if g in ("product", "category", "keyword"):
            where.append(f"{_GROUP_COLUMN[g]} IS NOT NULL")
    if any(g in _TIME for g in a.group_by):
        b.params["tz"] = b.tz
    metric_sql = {
        "events": "count() AS events",
        "visitors": "uniqExact(uuid) AS visitors",
        "orders": "uniqExact(order_id) AS orders",
        "revenue": "sum(amount) AS revenue",
        "aov": "uniqExact(order_id) AS orders, sum(amount) AS revenue, "
               "if(orders = 0, 0, round(revenue / orders)) AS aov",
    }[a.metric]
    metric_col = a.metric
    groups = [_GROUP_EXPR[g] for g in a.group_by]
    names = list(a.group_by)
    select = "SELECT " + ", ".join(groups + [metric_sql]) + "\nFROM event\nWHERE " + "\n  AND ".join(where)
    if names:
        select += "\nGROUP BY " + ", ".join(names)
        if a.top_n:
            select += f"\nORDER BY {metric_col} {a.order.upper()}, {', '.join(names)}\nLIMIT {int(a.top_n)}"
        elif names[0] in _TIME:
            order = ", ".join(names)
            if names == ["day"]:  # a daily series shows empty days as 0, for the chart
                b.params["d_from"] = b.window.start.isoformat()
                b.params["d_to"] = (b.window.end + timedelta(days=1)).isoformat()
                order = "day WITH FILL FROM {d_from:Date} TO {d_to:Date}"
            select += f"\nORDER BY {order}\nLIMIT {int(limit)}"
        else:
            select += f"\nORDER BY {metric_col} DESC, {', '.join(names)}\nLIMIT {int(limit)}"
    return b.render(select)


def _ratio(b: _Builder, a: ir.Aggregate, pop: str | None) -> str:
    den = b.node(a.denominator) if a.denominator is not None else b.base()
    if pop is not None:
        den = b.intersect([den, pop])
    num = b.node(a.numerator)
    return b.render(
        f"SELECT countIf(n.uuid IS NOT NULL) AS numerator, count() AS denominator, "
        f"if(denominator = 0, 0, round(numerator / denominator, 4)) AS ratio\n"
        f"FROM {den} AS d LEFT JOIN {num} AS n ON n.uuid = d.uuid")


def _funnel(b: _Builder, a: ir.Aggregate, pop: str | None) -> str:
    steps = a.steps
    codes = tuple(sorted({c for s in steps for c in ir.event_codes(s.event)}))
    seconds = a.within.seconds() if a.within else int((b.window.end_utc - b.window.start_utc).total_seconds())
    step_preds = [b.step_predicate(s) for s in steps]
    preds = ", ".join(step_preds)
    where = b.head(codes) + ["(" + " OR ".join(f"({p})" for p in step_preds) + ")"]
    if pop is not None:
        where.append(f"uuid IN (SELECT uuid FROM {pop})")
    levels = b.cte("funnel", f"SELECT uuid, windowFunnel({seconds})(toDateTime(created_at), {preds}) AS level "
                             f"FROM event WHERE {' AND '.join(where)} GROUP BY uuid")
    return b.render(
        f"SELECT step, countIf(level >= step) AS visitors, "
        f"if(max(visitors) OVER () = 0, 0, round(visitors / max(visitors) OVER (), 4)) AS conversion\n"
        f"FROM {levels} ARRAY JOIN range(1, {len(steps) + 1}) AS step\nGROUP BY step\nORDER BY step")


def compile_audience_size(q: ir.Query, *, client_id: int, timezone: str, today: date,
                          sample: int = 20) -> CompiledQuery:
    """The builder's live count: total visitors, members among them, and ``sample`` visitor ids.

    One aggregate pass over the audience, which ClickHouse evaluates once (a CTE referenced twice
    is inlined twice; a window ``count() OVER ()`` would sort the whole audience for 20 rows).
    "Member" = logged in or signed up at least once: a set of the shop's logged-in visitors (a
    slice of the sort key) is cheaper than joining their latest login ids. The sample's member
    ids come from ``events.sql.MEMBER_IDS_OF_UUIDS`` for those few visitors.
    """
    if q.kind != "A":
        raise CompileError("대상(A) 규칙만 인원을 셀 수 있습니다")
    window = resolve(q.window, today=today, tz=timezone)
    b = _Builder(client_id=client_id, tz=timezone, today=today, window=window, result_rows=2)
    b.params.update(client_id=client_id, w_start=_ts(window.start_utc), w_end=_ts(window.end_utc))
    aud = b.node(q.audience)
    # login and signup rows always carry login_id (catalog: required), so the uuid column alone
    # answers "logged in": reading the large login_id dictionary is what costs here.
    logged_in = f"SELECT uuid FROM event WHERE client_id = {{client_id:Int32}} AND event_type IN {IDENTITY}"
    sql = b.render(f"SELECT count() AS size, countIf(a.uuid IN ({logged_in})) AS members, "
                   f"arraySort(groupArray({int(sample)})(a.uuid)) AS sample\nFROM {aud} AS a")
    return CompiledQuery(sql=sql, params=b.params, window=window, kind="A", limit=sample)
