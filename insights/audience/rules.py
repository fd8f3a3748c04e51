"""The builder's rule tree and its two-way mapping with the query IR.

A rule tree is ``{"op": "and"|"or", "not": bool, "items": [rule | group]}`` where a rule is
``{"filter": key, "params": {...}, "not": bool}``, or ``{"raw": <IR node>, "not": bool}`` for a
part of a natural-language answer no catalog filter expresses. ``to_query`` validates it (field
errors per rule path) and builds a kind-A ``Query``; ``from_query`` reads an IR back into rules,
each reading checked by compiling the guessed filter and comparing it with the IR node, so the
rules always describe exactly the audience the IR does.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from pydantic import ValidationError

from insights.query import ir

from . import filters as F

MAX_RULES = 40
MAX_DEPTH = 4


class RuleError(ValueError):
    """Invalid rules. ``errors`` maps a rule path ("items.0.params.days") to a Korean message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, code: str = "invalid_rules"):
        super().__init__(message)
        self.message, self.errors, self.code = message, errors or {}, code


@dataclass
class Compiled:
    query: ir.Query
    rules: dict
    days: int
    # Why this audience matches nobody, when that is visible without running it (Korean).
    empty_reasons: list[str] = field(default_factory=list)


_KO_ERRORS = {
    "less_than_equal": "{le} 이하로 입력해 주세요.", "greater_than_equal": "{ge} 이상으로 입력해 주세요.",
    "less_than": "{lt}보다 작게 입력해 주세요.", "greater_than": "{gt}보다 크게 입력해 주세요.",
    "missing": "필수 항목입니다.", "int_parsing": "숫자를 입력해 주세요.", "int_type": "숫자를 입력해 주세요.",
    "extra_forbidden": "이 필터에 없는 항목입니다.", "too_long": "값이 너무 많습니다(최대 {max_length}개).",
    "too_short": "값을 하나 이상 입력해 주세요.", "multiple_of": "{multiple_of} 단위로 입력해 주세요.",
    "literal_error": "허용된 값이 아닙니다: {expected}", "list_type": "목록으로 입력해 주세요.",
    "bool_parsing": "예/아니오 값이어야 합니다.", "string_too_long": "{max_length}자 이하로 입력해 주세요.",
    "string_too_short": "값을 입력해 주세요.",
}


def _ko_message(e: dict) -> str:
    tpl = _KO_ERRORS.get(e.get("type", ""))
    if tpl:
        try:
            return tpl.format(**(e.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    return str(e.get("msg", "")).removeprefix("Value error, ")


def _field_errors(exc: ValidationError, prefix: str) -> dict[str, str]:
    out = {}
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "__root__")
        msg = _ko_message(e)
        out[f"{prefix}.{loc}" if loc else prefix] = msg
    return out


def _days_of(node) -> int:
    """The widest window (days) the node reads: the query window NOT is taken against."""
    if isinstance(node, ir.EventCondition):
        w = node.window
        if w is not None and w.type == "last_n" and w.unit == "day":
            return w.n
        return 7
    if isinstance(node, ir.Not):
        return _days_of(node.item)
    if isinstance(node, ir.Group):
        return max(_days_of(i) for i in node.items)
    return 7


def normalize(rules) -> dict:
    """Canonical rule tree (defaults filled, params validated); raises RuleError with field errors."""
    if not isinstance(rules, dict):
        raise RuleError("규칙은 {\"op\", \"items\"} 형식의 JSON 객체여야 합니다.")
    errors: dict[str, str] = {}
    count = [0]

    def walk(node, path: str, depth: int):
        if not isinstance(node, dict):
            errors[path] = "규칙 형식이 올바르지 않습니다."
            return None
        neg = bool(node.get("not", False))
        if "items" in node or "op" in node:
            if depth > MAX_DEPTH:
                errors[path] = f"그룹은 {MAX_DEPTH}단계까지만 중첩할 수 있습니다."
                return None
            op = node.get("op", "and")
            if op not in ("and", "or"):
                errors[f"{path}.op"] = "그룹 조건은 and(모두) 또는 or(하나 이상)여야 합니다."
                return None
            items = node.get("items") or []
            if not isinstance(items, list):
                errors[f"{path}.items"] = "items는 목록이어야 합니다."
                return None
            out = [walk(c, f"{path}.items.{i}" if path else f"items.{i}", depth + 1) for i, c in enumerate(items)]
            return {"op": op, "not": neg, "items": [o for o in out if o is not None]}
        count[0] += 1
        if count[0] > MAX_RULES:
            errors[path] = f"규칙은 {MAX_RULES}개까지 쓸 수 있습니다."
            return None
        if "raw" in node:
            try:
                raw = ir.Query(kind="A", audience=node["raw"]).audience
            except ValidationError as exc:
                errors.update(_field_errors(exc, f"{path}.raw"))
                return None
            return {"raw": raw.model_dump(mode="json", exclude_none=True), "not": neg}
        key = node.get("filter")
        spec = F.BY_KEY.get(key) if isinstance(key, str) else None
        if spec is None:
            errors[f"{path}.filter"] = f"알 수 없는 필터입니다: {key!r}"
            return None
        try:
            params = spec.build(node.get("params") if isinstance(node.get("params"), dict) else {})
        except ValidationError as exc:
            errors.update(_field_errors(exc, f"{path}.params"))
            return None
        return {"filter": key, "params": params.model_dump(mode="json"), "not": neg}

    tree = walk(rules, "", 0)
    if errors:
        first = next(iter(errors.values()))
        raise RuleError(f"규칙을 확인해 주세요: {first}", errors)
    return tree


def _node(rule: dict, resolvers: dict | None = None):
    if "items" in rule:
        kids = [_node(c, resolvers) for c in rule["items"]]
        n = kids[0] if len(kids) == 1 else ir.Group(op=rule["op"], items=kids)
    elif "raw" in rule:
        n = ir.Query(kind="A", audience=rule["raw"]).audience
    else:
        spec = F.BY_KEY[rule["filter"]]
        n = spec.node(spec.build(rule["params"]), resolvers)
    return ir.Not(item=n) if rule.get("not") else n


def to_query(rules, resolvers: dict | None = None) -> Compiled:
    """Validated rules -> a kind-A Query. Empty or unavailable rules raise RuleError (Korean)."""
    tree = normalize(rules)
    if not _has_rule(tree):
        raise RuleError("규칙이 없습니다: 필터를 하나 이상 추가해 주세요. 조건이 없으면 모든 방문자가 대상이 되어 "
                        "세그먼트로 의미가 없습니다.", code="empty")
    try:
        node = _node(tree, resolvers)
    except F.FilterUnavailable as exc:
        raise RuleError(str(exc), code="unavailable") from exc
    days = _days_of(node)
    q = ir.Query(kind="A", window=F.window(days), audience=node)
    return Compiled(query=q, rules=tree, days=days, empty_reasons=contradictions(tree))


def _has_rule(tree: dict) -> bool:
    if "items" in tree:
        return any(_has_rule(c) for c in tree["items"])
    return True


def ir_hash(q: ir.Query, *, client_id: int, day: str) -> str:
    """Cache key of a live count: the canonical IR, the client and the day the window ends."""
    canon = json.dumps(q.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{client_id}|{day}|{canon}".encode()).hexdigest()


# --- contradictions -------------------------------------------------------------------------

def _count_range(params: dict) -> tuple[int, float] | None:
    if "min_count" not in params:
        return None
    hi = params.get("max_count")
    return params["min_count"], (hi if hi is not None else float("inf"))


def contradictions(tree: dict) -> list[str]:
    """The obvious reasons an AND group matches nobody, in Korean (X and not X; count ranges that
    cannot both hold on the same filter and period; an AND group containing an empty one)."""
    from .describe import rule_phrase

    reasons: list[str] = []

    def walk(g: dict) -> bool:  # True = this group matches nobody for a visible reason
        kid_empty = [walk(c) if "items" in c else False for c in g["items"]]
        if g["op"] == "or":
            return bool(g["items"]) and all(kid_empty)
        found = any(kid_empty)
        leaves = [c for c in g["items"] if "filter" in c or "raw" in c]
        for i, a in enumerate(leaves):
            for b in leaves[i + 1:]:
                same = {k: v for k, v in a.items() if k != "not"} == {k: v for k, v in b.items() if k != "not"}
                if same and a.get("not") != b.get("not"):
                    reasons.append(f"'{rule_phrase(a, negate=False)}' 조건과 그 반대 조건이 함께 있어 "
                                   f"누구도 둘 다 만족할 수 없습니다.")
                    found = True
                    continue
                if "filter" not in a or a.get("filter") != b.get("filter") or a.get("not") or b.get("not"):
                    continue
                pa, pb = a["params"], b["params"]
                rest_a = {k: v for k, v in pa.items() if k not in ("min_count", "max_count")}
                rest_b = {k: v for k, v in pb.items() if k not in ("min_count", "max_count")}
                ra, rb = _count_range(pa), _count_range(pb)
                if ra and rb and rest_a == rest_b and (ra[0] > rb[1] or rb[0] > ra[1]):
                    reasons.append(f"'{rule_phrase(a)}' 조건과 '{rule_phrase(b)}' 조건의 횟수 범위가 겹치지 않습니다.")
                    found = True
                for lo, hi in (("min_amount", "max_amount"),):
                    if lo in pa and lo in pb and pa.get("days") == pb.get("days"):
                        la, ha = pa.get(lo) or 0, pa.get(hi) if pa.get(hi) is not None else float("inf")
                        lb, hb = pb.get(lo) or 0, pb.get(hi) if pb.get(hi) is not None else float("inf")
                        if la > hb or lb > ha:
                            reasons.append(f"'{rule_phrase(a)}' 조건과 '{rule_phrase(b)}' 조건의 금액 범위가 "
                                           f"겹치지 않습니다.")
                            found = True
        keys = {c.get("filter") for c in leaves if not c.get("not")}
        if {"member", "guest"} <= keys:
            reasons.append("회원 조건과 비회원 조건이 함께 있어 누구도 둘 다 만족할 수 없습니다.")
            found = True
        return found

    walk(tree)
    return reasons


# --- IR -> rules ----------------------------------------------------------------------------

def _guesses(node, default_days: int) -> dict:
    """Candidate parameter values read off one IR condition."""
    if not isinstance(node, ir.EventCondition):
        return {}
    w = node.window
    if w is None:
        days = default_days
    elif w.type == "last_n" and w.unit == "day":
        days = w.n
    else:
        return {}
    f, c = node.filters, node.count
    g: dict = {"days": days}
    if c.op == ">=":
        g["min_count"] = c.value
    elif c.op == "=":
        g["min_count"] = g["max_count"] = c.value
    elif c.op == "between":
        g["min_count"], g["max_count"] = c.value, c.value2
    else:
        g["min_count"], g["max_count"] = 1, c.value
    for src, dst in (("product_id", "product_ids"), ("category_id", "category_ids"), ("board_id", "board_ids"),
                     ("keyword", "keywords"), ("keyword_contains", "contains"), ("page_url_contains", "contains"),
                     ("utm_campaign", "utm_campaign"), ("utm_source", "utm_source"),
                     ("device_type", "device_types"), ("tracking_id", "tracking_ids")):
        v = getattr(f, src)
        if v is not None:
            g[dst] = v
    rng = node.total_amount or node.avg_order or f.order_total
    if rng is not None:
        g["min_amount"], g["max_amount"] = rng.gte, rng.lte
    if f.scroll is not None and f.scroll.gte is not None:
        g["min_percent"] = f.scroll.gte * 10
    return g


def _same(a, b) -> bool:
    return a.model_dump(mode="json") == b.model_dump(mode="json")


def _resolve_window(node, days):
    """The node with windows equal to the query's made explicit (the IR leaves them None)."""
    if isinstance(node, (ir.EventCondition, ir.SequenceCondition)) and node.window is None:
        return node.model_copy(update={"window": days if isinstance(days, ir.Window) else F.window(days)})
    if isinstance(node, ir.Not):
        return ir.Not(item=_resolve_window(node.item, days))
    if isinstance(node, ir.Group):
        return ir.Group(op=node.op, items=[_resolve_window(i, days) for i in node.items])
    return node


def node_to_rule(node, days: int) -> dict:
    node = _resolve_window(node, days)
    for spec in F.SPECS:  # composite filters first match whole groups
        if not spec.composite or spec.unavailable:
            continue
        for params in _composite_guesses(spec, node):
            if params is not None and _same(spec.to_ir(params), node):
                return {"filter": spec.key, "params": params.model_dump(mode="json"), "not": False}
    if isinstance(node, ir.Not):
        inner = node_to_rule(node.item, days)
        inner["not"] = not inner.get("not", False)
        return inner
    if isinstance(node, ir.Group):
        return {"op": node.op, "not": False, "items": [node_to_rule(i, days) for i in node.items]}
    guesses = _guesses(node, days)
    if guesses:
        for spec in F.SPECS:
            if spec.composite or spec.unavailable:
                continue
            fields = spec.params.model_fields
            try:
                params = spec.params.model_validate({k: v for k, v in guesses.items() if k in fields})
            except ValidationError:
                continue
            if _same(spec.to_ir(params), node):
                return {"filter": spec.key, "params": params.model_dump(mode="json"), "not": False}
    return {"raw": node.model_dump(mode="json", exclude_none=True), "not": False}


def _composite_guesses(spec, node):
    if not isinstance(node, ir.Group):
        return
    first = node.items[0]
    if isinstance(first, ir.Not):
        first = first.item
    g = _guesses(first, 7) if isinstance(first, ir.EventCondition) else {}
    second = node.items[-1].item if isinstance(node.items[-1], ir.Not) else node.items[-1]
    g2 = _guesses(second, 7) if isinstance(second, ir.EventCondition) else {}
    cands = [{}]
    if g:
        cands.append({"days": g["days"]})
        if g2:
            cands.append({"days": g2["days"], "lookback": g["days"]})
    for c in cands:
        try:
            yield spec.params.model_validate({k: v for k, v in c.items() if k in spec.params.model_fields})
        except ValidationError:
            yield None


def from_query(q: ir.Query) -> dict:
    """Rules that describe the same audience as ``q`` (kind A, or B's population)."""
    if q.audience is None:
        raise RuleError("이 질문은 대상(방문자 목록)이 아니라 집계를 묻습니다. '…한 방문자'처럼 대상을 말해 주세요.",
                        code="not_audience")
    days = q.window.n if (q.window.type == "last_n" and q.window.unit == "day") else 7
    if q.window.type not in ("default", "last_n") or (q.window.type == "last_n" and q.window.unit != "day"):
        # a named/absolute period has no "최근 N일" rule form: keep the whole audience as it is
        raw = _resolve_window(q.audience, q.window)
        return {"op": "and", "not": False, "items": [{"raw": raw.model_dump(mode="json", exclude_none=True),
                                                       "not": False}]}
    rule = node_to_rule(q.audience, days)
    if "items" in rule:
        return rule
    return {"op": "and", "not": False, "items": [rule]}
