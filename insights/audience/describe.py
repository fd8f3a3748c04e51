"""Rules -> the natural-language description shown beside them (Korean, and English labels).

Regenerated from the rules on every edit, so the sentence always states the audience the rules
(and so the IR) select. A raw IR part (from a question no filter expresses) is described by the
ask page's summary vocabulary.
"""
from __future__ import annotations

from events import catalog
from insights.query import ir
from insights.query.summary import has_final_consonant

from . import filters as F

_RAW_EVENT = {**catalog.NOUN_KO, "any_event": "방문"}  # "any event" reads as a visit


def _raw_phrase(node) -> str:
    if isinstance(node, ir.EventCondition):
        parts = []
        for name, value in node.filters:
            if value is not None:
                parts.append(f"{name}={','.join(value) if isinstance(value, list) else value}")
        extra = f"({'; '.join(parts)})" if parts else ""
        return f"{_RAW_EVENT.get(node.event, node.event)}{extra}"
    if isinstance(node, ir.SequenceCondition):
        return " → ".join(_RAW_EVENT.get(s.event, s.event) for s in node.steps) + " 순서로 행동"
    if isinstance(node, ir.Not):
        return f"{_raw_phrase(node.item)} 안 함"
    if isinstance(node, ir.Group):
        j = " 그리고 " if node.op == "and" else " 또는 "
        return "(" + j.join(_raw_phrase(i) for i in node.items) + ")"
    return "?"


def rule_phrase(rule: dict, *, negate: bool = True) -> str:
    if "items" in rule:
        return group_phrase(rule, negate=negate)
    if "raw" in rule:
        text = _raw_phrase(ir.Query(kind="A", audience=rule["raw"]).audience)
    else:
        spec = F.BY_KEY[rule["filter"]]
        text = spec.describe(spec.build(rule["params"]))
    if negate and rule.get("not"):
        return f"[제외] {text}"
    return text


def group_phrase(group: dict, *, negate: bool = True) -> str:
    items = group.get("items") or []
    phrases = [rule_phrase(c) for c in items]
    if not phrases:
        return "(조건 없음)"
    if len(phrases) == 1:
        text = phrases[0]
    else:
        text = ("; " if group["op"] == "and" else " 또는 ").join(phrases)
        if group["op"] == "or":
            text = f"({text})"
    if negate and group.get("not"):
        return f"[제외] ({text})"
    return text


def describe(rules: dict) -> str:
    """One Korean sentence for the whole tree: 'X; Y; [제외] Z 조건을 모두 만족하는 방문자'."""
    items = rules.get("items") or []
    if not items:
        return "조건이 없습니다. 필터를 추가하거나 원하는 대상을 문장으로 입력해 주세요."
    body = group_phrase({**rules, "not": False})
    if rules.get("op") == "or" and len(items) > 1:
        head = "다음 중 하나 이상에 해당하는 방문자"
    else:
        head = "다음 조건을 모두 만족하는 방문자" if len(items) > 1 else "다음 조건에 해당하는 방문자"
    if rules.get("not"):
        return f"{head}를 제외한 방문자: {body}"
    return f"{head}: {body}"


def describe_en(rules: dict) -> str:
    """The English sentence: filter labels and parameters (the UI's English mode)."""
    def one(r: dict) -> str:
        if "items" in r:
            j = " AND " if r["op"] == "and" else " OR "
            t = "(" + j.join(one(c) for c in r["items"]) + ")"
        elif "raw" in r:
            t = "custom condition"
        else:
            spec = F.BY_KEY[r["filter"]]
            ps = ", ".join(f"{k}={v}" for k, v in r["params"].items() if v not in (None, [], ""))
            t = f"{spec.label_en}" + (f" ({ps})" if ps else "")
        return f"NOT {t}" if r.get("not") else t
    if not rules.get("items"):
        return "No conditions."
    return "Visitors matching " + one(rules)


__all__ = ["describe", "describe_en", "rule_phrase", "group_phrase", "has_final_consonant"]
