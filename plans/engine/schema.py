"""The answer's shape: trends + exactly six plans (low/medium/high budget x online/offline).

Pydantic is the single source: ``answer_json_schema()`` is what Gemini is constrained to and
what the API documents; ``Answer.model_validate`` checks a model's output against the same
rules. Band, ROI-order and grounding rules need more than a JSON Schema can say: validate.py.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Budget = Literal["low", "medium", "high"]
Channel = Literal["online", "offline"]
BUDGETS: tuple[str, ...] = ("low", "medium", "high")
CHANNELS: tuple[str, ...] = ("online", "offline")
CELLS: tuple[tuple[str, str], ...] = tuple((b, c) for b in BUDGETS for c in CHANNELS)

# KRW, inclusive. The seed's bands: 25-30만 / 150-180만 / 500-600만.
BANDS: dict[str, tuple[int, int]] = {
    "low": (250_000, 300_000),
    "medium": (1_500_000, 1_800_000),
    "high": (5_000_000, 6_000_000),
}

PURPOSES: dict[str, str] = {
    "acquisition": "신규 고객 유치",
    "revisit": "재방문 유도",
    "sales": "매출 증대",
    "awareness": "인지도 향상",
}
BUDGET_LABELS = {"low": "저예산", "medium": "중예산", "high": "고예산"}
CHANNEL_LABELS = {"online": "온라인", "offline": "오프라인"}

TITLE_MAX = 30
PRIZE_MAX = 20
TREND_MAX = 200   # "about 100 characters": room for the model, still a short paragraph


def cell_key(budget: str, channel: str) -> str:
    return f"{budget}-{channel}"


def purpose_key(value: str) -> str | None:
    """'sales', '매출 증대' or '매출증대' -> 'sales'; None when it is not one of the four."""
    v = (value or "").strip()
    if v in PURPOSES:
        return v
    compact = v.replace(" ", "")
    for key, label in PURPOSES.items():
        if compact == label.replace(" ", ""):
            return key
    return None


class Trends(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industry: str = Field(min_length=10, max_length=TREND_MAX, description="업종 트렌드 (100자 내외)")
    location: str = Field(min_length=10, max_length=TREND_MAX, description="지역 트렌드 (100자 내외)")
    season: str = Field(min_length=10, max_length=TREND_MAX, description="시즌·기념일 트렌드 (100자 내외)")


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget: Budget
    channel: Channel
    title: str = Field(min_length=2, max_length=TITLE_MAX)
    prize: str = Field(min_length=1, max_length=PRIZE_MAX)
    participation: str = Field(min_length=4, max_length=150, description="참여 방법")
    expected_participants: int = Field(ge=1, le=1_000_000)
    cost: int = Field(ge=1, description="예상 비용 (원)")
    roi: int = Field(ge=-100, le=5000, description="투자대비수익률 (%)")

    @property
    def key(self) -> str:
        return cell_key(self.budget, self.channel)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trends: Trends
    plans: list[Plan] = Field(min_length=6, max_length=6)

    def plan(self, key: str) -> Plan | None:
        return next((p for p in self.plans if p.key == key), None)

    def ordered(self) -> "Answer":
        order = {cell_key(b, c): i for i, (b, c) in enumerate(CELLS)}
        return Answer(trends=self.trends, plans=sorted(self.plans, key=lambda p: order.get(p.key, 99)))


def answer_json_schema() -> dict:
    return Answer.model_json_schema()
