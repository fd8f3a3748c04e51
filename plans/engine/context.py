"""What one recommendation is grounded on: the shop's profile, the purpose, the date's season and
occasions, and the similar past plans per cell with the ranges their figures allow."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import retrieval
from .library import PastPlan, match_industry
from .occasions import Occasion, occasions_near, season_of
from .schema import PURPOSES
from .validate import Grounding, grounding_from


@dataclass(frozen=True)
class Profile:
    industry: str
    business_type: str = ""
    region: str = ""
    visitors_30d: int | None = None
    orders_30d: int | None = None

    @property
    def industry_key(self) -> str | None:
        return match_industry(self.industry) or match_industry(self.business_type)

    def size_label(self) -> str:
        v = self.visitors_30d
        if v is None:
            return "알 수 없음"
        return "소형" if v < 3_000 else "중형" if v < 30_000 else "대형"


def query_text(profile: Profile, purpose: str, day: date, occasions: list[Occasion]) -> str:
    return " ".join([profile.industry, profile.business_type, profile.region, PURPOSES[purpose],
                     season_of(day), *[o.name for o in occasions], *[o.tag for o in occasions]])


def tags_for(day: date, occasions: list[Occasion]) -> list[str]:
    return [season_of(day), "상시", *{o.tag for o in occasions}]


def similar_plans(profile: Profile, purpose: str, day: date, own: list[PastPlan] = (), k: int = 4) -> dict[str, list[dict]]:
    occ = occasions_near(day)
    hits = retrieval.search(query_text(profile, purpose, day, occ), industry=profile.industry_key,
                            purpose=purpose, tags=tags_for(day, occ), own=list(own), k=k)
    return {key: [h.as_dict() for h in hs] for key, hs in hits.items()}


def grounding(hits_by_cell: dict[str, list[dict]]) -> dict[str, Grounding]:
    return grounding_from(hits_by_cell)
