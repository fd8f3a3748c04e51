"""The curated plan library (plans/library/plans.jsonl) and the shape a past plan has in retrieval.

A past plan is either from the library (written for this product, figures measured-like) or one
of the client's own campaigns with measured results (``source="own"``); both carry the same
figures, so retrieval, the prompt and the grounding check treat them alike.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

LIBRARY_PATH = Path(__file__).resolve().parent.parent / "library" / "plans.jsonl"


@dataclass(frozen=True)
class PastPlan:
    id: str
    industry: str          # canonical key ("fashion") or the client's own free text
    purpose: str
    budget: str
    channel: str
    title: str
    prize: str
    participation: str
    participants: int
    cost: int
    roi: int
    tags: tuple[str, ...] = ()
    industry_label: str = ""
    aliases: str = ""
    source: str = "library"   # "library" | "own"
    generic: bool = True  # False: title or prize name its industry's products
    # the same plan in neutral words, for shops of another industry
    title_generic: str = ""
    prize_generic: str = ""
    participation_generic: str = ""

    def text(self) -> str:
        return " ".join([self.industry_label or self.industry, self.aliases, self.title, self.prize,
                         self.participation, " ".join(self.tags)])

    def as_dict(self) -> dict:
        d = asdict(self)
        d["tags"] = list(self.tags)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PastPlan":
        d = dict(d)
        d["tags"] = tuple(d.get("tags") or ())
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@lru_cache(maxsize=1)
def load_library(path: str | None = None) -> tuple[PastPlan, ...]:
    p = Path(path) if path else LIBRARY_PATH
    plans = []
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                plans.append(PastPlan.from_dict(json.loads(line)))
    return tuple(plans)


@lru_cache(maxsize=1)
def industries() -> dict[str, tuple[str, str]]:
    """key -> (Korean label, aliases) as the library knows them."""
    return {p.industry: (p.industry_label, p.aliases) for p in load_library()}


def match_industry(text: str) -> str | None:
    """A client's free-text industry ("여성의류", "Pet food", "반려견 간식") -> a library key, if any.

    The industry whose words cover most of the text wins ("반려견 간식" is pets, not food)."""
    t = (text or "").strip().lower()
    if not t:
        return None
    best, best_score = None, 0
    for key, (label, aliases) in industries().items():
        words = {key, *label.lower().replace("·", " ").split(), *aliases.lower().split()}
        score = sum(len(w) for w in words if len(w) >= 2 and w in t)
        if not score and any(len(w) >= 2 and t in w for w in words):
            score = 1
        if score > best_score:
            best, best_score = key, score
    return best
