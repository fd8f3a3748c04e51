"""A slow, obvious Python evaluation of the IR over in-memory rows: the compiler's spec in code.

Tests compare what chDB returns for compiled SQL with what this returns for the same IR and rows.
It shares nothing with the compiler except the IR types and the window resolution.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from insights.query import ir
from insights.query.window import resolve

FIELD = ir.FILTER_COLUMNS


def _match(row: dict, f: ir.EventFilters) -> bool:
    for name, value in f:
        if value is None or name == "order_total":
            continue
        v = row.get(FIELD[name])
        if isinstance(value, list):
            if v is None or str(v) not in value:  # utm/device default to '' in the table, never NULL
                return False
        elif isinstance(value, ir.Range):
            if v is None or (value.gte is not None and v < value.gte) or (value.lte is not None and v > value.lte):
                return False
        elif name == "keyword_contains":
            if v is None or value.lower() not in v.lower():
                return False
        elif name == "page_url_contains":
            if v is None or value not in v:
                return False
    return True


class Reference:
    def __init__(self, rows: list[dict], client_id: int, tz: str, today: date, q: ir.Query):
        self.rows = [r for r in rows if r["client_id"] == client_id]
        self.tz, self.today = tz, today
        self.w = resolve(q.window, today=today, tz=tz)

    def in_window(self, r, w=None):
        rw = resolve(w, today=self.today, tz=self.tz) if w else self.w
        return rw.start_utc <= r["created_at"] < rw.end_utc

    def active(self) -> set:
        return {r["uuid"] for r in self.rows if self.in_window(r)}

    def node(self, n) -> set:
        if isinstance(n, ir.EventCondition):
            codes = ir.event_codes(n.event)
            hits = [r for r in self.rows
                    if r["event_type"] in codes and self.in_window(r, n.window) and _match(r, n.filters)]
            if n.event == "order_complete":  # orders, not lines; totals over an order's lines
                totals = Counter()
                for r in hits:
                    totals[(r["uuid"], r["order_id"])] += r["amount"] or 0
                t = n.filters.order_total
                keep = [k for k, v in totals.items()
                        if t is None or ((t.gte is None or v >= t.gte) and (t.lte is None or v <= t.lte))]
                counts = Counter(u for u, _ in keep)
            else:
                counts = Counter(r["uuid"] for r in hits)
            c = n.count
            ok = {">=": lambda k: k >= c.value, "<=": lambda k: k <= c.value, "=": lambda k: k == c.value,
                  "between": lambda k: c.value <= k <= (c.value2 or 0)}[c.op]
            return {u for u, k in counts.items() if ok(k)}
        if isinstance(n, ir.SequenceCondition):
            rw = resolve(n.window, today=self.today, tz=self.tz) if n.window else self.w
            limit = n.within.seconds() if n.within else (rw.end_utc - rw.start_utc).total_seconds()
            by = defaultdict(list)
            for r in self.rows:
                if self.in_window(r, n.window):
                    by[r["uuid"]].append(r)
            out = set()
            for u, rs in by.items():
                rs.sort(key=lambda r: r["created_at"])
                starts = [r for r in rs if r["event_type"] in ir.event_codes(n.steps[0].event) and _match(r, n.steps[0].filters)]
                for s in starts:
                    t0, i = s["created_at"], 1
                    for r in rs:
                        if i < len(n.steps) and r["created_at"] > t0 and (r["created_at"] - t0).total_seconds() <= limit \
                                and r["event_type"] in ir.event_codes(n.steps[i].event) and _match(r, n.steps[i].filters):
                            i += 1
                    if i == len(n.steps):
                        out.add(u)
                        break
            return out
        if isinstance(n, ir.Not):
            return self.active() - self.node(n.item)
        if n.op == "or":
            return set().union(*(self.node(i) for i in n.items))
        pos = [self.node(i) for i in n.items if not isinstance(i, ir.Not)]
        neg = [self.node(i.item) for i in n.items if isinstance(i, ir.Not)]
        out = set.intersection(*pos) if pos else self.active()
        for x in neg:
            out -= x
        return out
