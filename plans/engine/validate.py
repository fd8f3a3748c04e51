"""Everything an answer must satisfy before a marketer sees it.

JSON Schema (pydantic) first, then what a schema cannot say: one plan per (budget, channel),
costs inside their band, ROI not rising with budget within a channel, and the numbers grounded in
the retrieved past plans (participants and ROI within the range of that cell's similar plans,
with a margin). Errors are Korean sentences: they go back to the model verbatim on the retry.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from .schema import BANDS, BUDGET_LABELS, BUDGETS, CELLS, CHANNEL_LABELS, CHANNELS, Answer, cell_key

# Margins around the retrieved figures: a plan may be somewhat bigger or better than its
# neighbours, not an order of magnitude.
PARTICIPANT_MARGIN = (0.5, 1.5)
ROI_MARGIN = 0.3


@dataclass(frozen=True)
class Range:
    lo: int
    hi: int

    def clamp(self, v: int) -> int:
        return max(self.lo, min(self.hi, v))

    def __contains__(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def as_list(self) -> list[int]:
        return [self.lo, self.hi]


@dataclass(frozen=True)
class Grounding:
    participants: Range
    roi: Range


def grounding_from(hits_by_cell: dict[str, list[dict]]) -> dict[str, Grounding]:
    """Allowed ranges per cell from the retrieved plans' figures (dicts with participants, roi)."""
    out = {}
    for key, hits in hits_by_cell.items():
        if not hits:
            continue
        ps = [int(h["participants"]) for h in hits]
        rs = [int(h["roi"]) for h in hits]
        out[key] = Grounding(
            participants=Range(max(1, int(min(ps) * PARTICIPANT_MARGIN[0])), int(max(ps) * PARTICIPANT_MARGIN[1])),
            roi=Range(int(min(rs) - ROI_MARGIN * abs(min(rs))), int(max(rs) + ROI_MARGIN * abs(max(rs)))),
        )
    return out


def _label(key: str) -> str:
    b, c = key.split("-")
    return f"{BUDGET_LABELS[b]}·{CHANNEL_LABELS[c]}({key})"


def _schema_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False)[:20]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        out.append(f"스키마 오류 {loc}: {err.get('msg')}")
    return out


def rule_errors(answer: Answer, grounding: dict[str, Grounding] | None = None) -> list[str]:
    errors = []
    keys = [p.key for p in answer.plans]
    for b, c in CELLS:
        n = keys.count(cell_key(b, c))
        if n != 1:
            errors.append(f"{_label(cell_key(b, c))} 기획안은 정확히 1개여야 합니다 (현재 {n}개).")
    if errors:
        return errors
    for p in answer.plans:
        lo, hi = BANDS[p.budget]
        if not lo <= p.cost <= hi:
            errors.append(f"{_label(p.key)} 비용 {p.cost:,}원이 예산 범위 {lo:,}~{hi:,}원을 벗어났습니다.")
    for c in CHANNELS:
        rois = [answer.plan(cell_key(b, c)).roi for b in BUDGETS]
        for (b1, r1), (b2, r2) in zip(zip(BUDGETS, rois), zip(BUDGETS[1:], rois[1:])):
            if r2 > r1:
                errors.append(f"{CHANNEL_LABELS[c]} ROI는 예산이 클수록 높아지면 안 됩니다: "
                              f"{BUDGET_LABELS[b1]} {r1}% < {BUDGET_LABELS[b2]} {r2}%.")
    for p in answer.plans:
        g = (grounding or {}).get(p.key)
        if g is None:
            continue
        if p.expected_participants not in g.participants:
            errors.append(f"{_label(p.key)} 예상 참여자 {p.expected_participants:,}명이 참고 사례 범위 "
                          f"{g.participants.lo:,}~{g.participants.hi:,}명을 벗어났습니다.")
        if p.roi not in g.roi:
            errors.append(f"{_label(p.key)} ROI {p.roi}%가 참고 사례 범위 {g.roi.lo}~{g.roi.hi}%를 벗어났습니다.")
    return errors


def validate_answer(raw, grounding: dict[str, Grounding] | None = None) -> tuple[Answer | None, list[str]]:
    """(answer, []) when every rule holds, else (None or the parsed answer, Korean errors)."""
    try:
        data = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except json.JSONDecodeError as exc:
        return None, [f"JSON이 아닙니다: {exc.msg} (위치 {exc.pos})"]
    try:
        answer = Answer.model_validate(data)
    except ValidationError as exc:
        return None, _schema_errors(exc)
    errors = rule_errors(answer, grounding)
    return (answer.ordered() if not errors else answer), errors
