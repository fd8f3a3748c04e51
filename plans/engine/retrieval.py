"""Similar past plans by TF-IDF over character n-grams, plus a few structured boosts.

Character 2-3-grams need no Korean tokenizer ("반려견간식" and "반려견 간식" share most grams) and
nothing is downloaded at run time. The index over the library is built once per process; a
client's own campaigns (a handful) are added per request.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .library import PastPlan, load_library
from .schema import CELLS, cell_key

_SPACE = re.compile(r"\s+")

# Why these weights: text similarity alone ranks a "pet" plan from another industry above a
# same-industry plan with different wording, and a fashion shop offered a tablet PC as its prize
# is not a plan; so the industry outweighs purpose and occasion tags together; the client's own measured results are the best
# evidence there is, so they come first when they exist.
BOOST_INDUSTRY = 0.6
BOOST_PURPOSE = 0.15
BOOST_TAG = 0.05
BOOST_TAG_MAX = 0.15
BOOST_OWN = 0.5
# Plans in general words suit a shop outside the library's industries best (the composer also
# retells another industry's plan in neutral words).
PENALTY_FOREIGN = 0.15


def grams(text: str, sizes=(2, 3)) -> Counter:
    t = _SPACE.sub(" ", (text or "").lower()).strip()
    out: Counter = Counter()
    for word in t.split(" "):
        w = f" {word} "
        for n in sizes:
            for i in range(max(0, len(w) - n + 1)):
                out[w[i:i + n]] += 1
    return out


class TfidfIndex:
    def __init__(self, docs: list[str]):
        self.n = len(docs)
        counts = [grams(d) for d in docs]
        df: Counter = Counter()
        for c in counts:
            df.update(c.keys())
        self.idf = {g: math.log((1 + self.n) / (1 + f)) + 1.0 for g, f in df.items()}
        self.vectors = [self._weigh(c) for c in counts]

    def _weigh(self, c: Counter) -> dict[str, float]:
        v = {g: (1 + math.log(tf)) * self.idf.get(g, 0.0) for g, tf in c.items() if g in self.idf}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    def scores(self, query: str) -> list[float]:
        q = self._weigh(grams(query))
        return [sum(w * vec.get(g, 0.0) for g, w in q.items()) for vec in self.vectors]


@dataclass(frozen=True)
class Hit:
    plan: PastPlan
    score: float

    def as_dict(self) -> dict:
        return {**self.plan.as_dict(), "score": round(self.score, 4)}


@lru_cache(maxsize=1)
def _library_index() -> tuple[tuple[PastPlan, ...], TfidfIndex]:
    plans = load_library()
    return plans, TfidfIndex([p.text() for p in plans])


def search(query: str, *, industry: str | None, purpose: str, tags: list[str] = (),
           own: list[PastPlan] = (), k: int = 4) -> dict[str, list[Hit]]:
    """Top ``k`` past plans for each of the six cells, best first."""
    lib, index = _library_index()
    scored = list(zip(lib, index.scores(query)))
    if own:
        # Own plans are weighed with the library's idf so their scores are comparable.
        q = index._weigh(grams(query))
        for p in own:
            vec = index._weigh(grams(p.text()))
            scored.append((p, sum(w * vec.get(g, 0.0) for g, w in q.items())))
    tagset = set(tags)
    by_cell: dict[str, list[Hit]] = {cell_key(b, c): [] for b, c in CELLS}
    for plan, s in scored:
        if plan.source == "own":   # the client's own industry, and measured on its own shoppers
            s += BOOST_OWN + BOOST_INDUSTRY
        elif industry and plan.industry == industry:
            s += BOOST_INDUSTRY
        elif not plan.generic and plan.industry != industry:
            s -= PENALTY_FOREIGN
        if plan.purpose == purpose:
            s += BOOST_PURPOSE
        s += min(BOOST_TAG_MAX, BOOST_TAG * len(tagset.intersection(plan.tags)))
        key = cell_key(plan.budget, plan.channel)
        if key in by_cell:
            by_cell[key].append(Hit(plan, s))
    for key in by_cell:
        by_cell[key].sort(key=lambda h: (-h.score, h.plan.id))
        del by_cell[key][k:]
    return by_cell
