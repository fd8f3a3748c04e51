"""5-minute series per (entity, metric), shaped for the detector.

A scan at time ``at`` (aligned down to 5 minutes) looks at three bounded ranges, all on the
event table's sort key (client_id, event_type, created_at):

- recent:  the 37 buckets [at - 185 min, at): the current one, the 12 before it for the
  short-term baseline, and 24 more so that a window of up to an hour is judged against the hour
  before it (detector._window) and a silence of up to two hours against the rate it had before
  it began (detector._silence)
- yesterday: the 48 buckets [at - 26 h, at - 22 h): same time yesterday, +-2 h
- week:      the 48 buckets [at - 170 h, at - 166 h): same time a week ago, +-2 h

(The +-2 h seasonal ranges are what the seed's V3 rule averages; ours uses the middle of them.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

BUCKET = timedelta(minutes=5)
BUCKET_S = 300
RECENT = 37          # the current bucket + 12 short-term + 24 before: windows and silences of up to 2 hours
SEASONAL = 48        # 4 hours
# index in a seasonal range of the bucket "same time" as the current one:
# range starts 2 h (24 buckets) before the current bucket's start + 5 min
SAME = 23


@dataclass(frozen=True, order=True)
class Key:
    """One series: entity kind ("shop", "product", "category", "keyword"), its id, the metric."""

    kind: str
    entity: str
    metric: str

    def label(self) -> str:
        return f"{self.kind}:{self.entity}:{self.metric}" if self.entity else f"{self.kind}:{self.metric}"

    def related(self, other: "Key", product_category: dict[str, str]) -> bool:
        """Same series, or one contains the other (a product's views are in its category's and
        the shop's views): a surge on one shows on the other."""
        if self.metric != other.metric:
            return False
        if (self.kind, self.entity) == (other.kind, other.entity):
            return True
        pair = {self.kind, other.kind}
        if "shop" in pair:
            return True
        if pair == {"product", "category"}:
            p, c = (self, other) if self.kind == "product" else (other, self)
            return product_category.get(p.entity) == c.entity
        return False


def align(at: datetime) -> datetime:
    """The scan time: ``at`` rounded down to a 5-minute boundary, in UTC."""
    at = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.replace(second=0, microsecond=0, minute=at.minute - at.minute % 5)


def ranges(at: datetime) -> dict[str, tuple[datetime, datetime]]:
    at = align(at)
    return {
        "recent": (at - RECENT * BUCKET, at),
        "yesterday": (at - timedelta(hours=26), at - timedelta(hours=22)),
        "week": (at - timedelta(hours=170), at - timedelta(hours=166)),
    }


@dataclass
class Frame:
    """Series of one scan as matrices: row i of each is ``keys[i]``."""

    at: datetime
    keys: list[Key]
    recent: np.ndarray        # (E, RECENT); the detector indexes it from its end
    yesterday: np.ndarray     # (E, 48)
    week: np.ndarray          # (E, 48)
    has_yesterday: bool = True
    has_week: bool = True
    product_category: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> list[np.ndarray]:
        """The seasonal ranges this scan has: yesterday's and last week's, where present."""
        return [m for m, ok in ((self.yesterday, self.has_yesterday), (self.week, self.has_week)) if ok]

    def index(self) -> dict[Key, int]:
        return {k: i for i, k in enumerate(self.keys)}


def frame_from_rows(at: datetime, rows, *, max_entities: int = 500) -> Frame:
    """Rows (bucket_start UTC, kind, entity, metric, count, category) -> a Frame.

    Rows are products' views / cart adds / orders (views carry the category), keywords'
    searches and the shop's visitors (selectors.py); shop totals and categories are summed here. Categories' cart adds and orders are summed from their products (the events carry
    only product_id; product views carry both, which gives the product -> category map).
    Bounded cost: at most ``max_entities`` series per metric, the busiest of the recent hour
    (and always the shop-wide ones).
    """
    at = align(at)
    r = ranges(at)
    product_category: dict[str, str] = {}
    cells: dict[Key, dict[tuple[str, int], float]] = {}
    for bucket, kind, entity, metric, count, category in rows:
        bucket = bucket if bucket.tzinfo else bucket.replace(tzinfo=timezone.utc)
        where = None
        for name, (start, end) in r.items():
            if start <= bucket < end:
                where = (name, int((bucket - start).total_seconds()) // BUCKET_S)
                break
        if where is None:
            continue
        if kind == "product" and category:
            product_category.setdefault(entity, category)
        targets = [Key(kind, entity, metric)]
        if kind == "keyword" or (kind == "product" and metric != "orders"):
            # shop-wide orders come as distinct order ids (a row of their own), not summed lines
            targets.append(Key("shop", "", metric))
        if kind == "product" and metric == "views" and category:
            targets.append(Key("category", category, metric))
        for key in targets:
            slot = cells.setdefault(key, {})
            slot[where] = slot.get(where, 0.0) + float(count)
    # categories' cart adds and orders from their products
    for key, slot in list(cells.items()):
        if key.kind == "product" and key.metric in ("cart_adds", "orders"):
            cat = product_category.get(key.entity)
            if cat:
                target = cells.setdefault(Key("category", cat, key.metric), {})
                for where, v in slot.items():
                    target[where] = target.get(where, 0.0) + v
    return _to_frame(at, cells, product_category, max_entities)


def _to_frame(at, cells, product_category, max_entities) -> Frame:
    by_metric: dict[str, list[tuple[float, Key]]] = {}
    for key, slot in cells.items():
        volume = sum(v for (name, _i), v in slot.items() if name != "recent") + \
            4 * sum(v for (name, _i), v in slot.items() if name == "recent")
        by_metric.setdefault(key.metric, []).append((volume, key))
    keys: list[Key] = []
    for metric, items in by_metric.items():
        items.sort(key=lambda t: (-t[0], t[1]))
        keys.extend(k for _v, k in items if k.kind == "shop")
        keys.extend([k for _v, k in items if k.kind != "shop"][:max_entities])
    keys.sort()
    e = len(keys)
    recent, yesterday, week = np.zeros((e, RECENT)), np.zeros((e, SEASONAL)), np.zeros((e, SEASONAL))
    mats = {"recent": recent, "yesterday": yesterday, "week": week}
    seen = {"yesterday": False, "week": False}
    for i, key in enumerate(keys):
        for (name, j), v in cells[key].items():
            mats[name][i, j] = v
            if name in seen:
                seen[name] = True
    return Frame(at=at, keys=keys, recent=recent, yesterday=yesterday, week=week,
                 has_yesterday=seen["yesterday"], has_week=seen["week"],
                 product_category=product_category)
