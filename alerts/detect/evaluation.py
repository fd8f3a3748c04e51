"""Labelled synthetic traffic and the precision / recall / F1 of a detector on it.

The set (``build_case``):
1. Baseline traffic: ``events.generate`` (deterministic for a seed), ``HISTORY_DAYS`` days of
   history + ``EVAL_DAYS`` evaluated days, generated in 4-day pieces so the generator's own
   campaign bursts (windows of 5+ days) do not appear as unlabelled surges. Counted into the
   same 5-minute series the product scans (series.py keys).
2. Injected events on entities of varied size, 09:00-23:00 local, at least ``GAP`` apart:
   spikes x2..x10 for 15-90 min and drops to 0 or -70 % for 20-120 min, on the top / a mid /
   a small product, a category, a keyword, shop-wide visitors, and "orders fall to zero while
   views go on" (shop-wide orders; every product's orders too). Added or removed counts are
   Poisson / binomial draws and flow up to the parents (a product's extra views are also its
   category's and the shop's). An event is only labelled (and injected) when it is *material*
   for the entity's size (``material``): with ``E`` the entity's expected count over the event's
   duration (its local level, the mean of the hour around each bucket, summed over the event),
   the count the event is meant to produce (``factor * E``) must lie in the Poisson tail of
   ``E`` beyond ``MATERIAL_P`` (P(X >= factor*E) for a spike, P(X <= factor*E) for a drop), and
   the change must matter to a shop: at least ``MATERIAL_SPIKE`` extra events per bucket for a
   spike, ``MATERIAL_DROP`` missing events in total for a drop. A -70 % drop on a product seen
   once per 5 minutes for 20 minutes (4 expected, 1.2 left) has P = 0.24 and cannot be told from
   chance by anyone; the same drop on 40 expected views has P ~ 1e-9. The rule only depends on
   the entity's size, the factor and the duration, never on a detector, and the set it produces
   is scored identically for ours and the seed's V3 rule.
3. Everything else (nights, the hours between events, every other series) is the no-event
   background where false positives are counted.

Scoring (``score``), scans every 5 minutes over the evaluated days, an "alert" being one episode
of a series that reached SPIKE or DROP (candidates that never persisted are not alerts):
- an alert is a true positive when it overlaps [event start, event end + ``GRACE``] of a
  labelled event in the same direction on the same series or a related one (same metric, one
  entity contains the other: a product's surge is also its category's and the shop's);
  otherwise a false positive. precision = TP alerts / alerts.
- an event is found when an alert on exactly its series overlaps that span in its direction.
  recall = found events / events. F1 = 2PR / (P + R).
Tune on some seeds, report on others (``eval_spikes`` uses disjoint seed sets).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from .detector import DROP, SPIKE, Track, advance, detect, poisson_tail
from .baseline_v3 import detect_v3
from .series import BUCKET, BUCKET_S, RECENT, SEASONAL, Frame, Key

HISTORY_DAYS = 8
EVAL_DAYS = 3
VISITS_PER_DAY = 20_000
PRODUCTS = 200
GAP = timedelta(minutes=40)
GRACE = 6                 # buckets (30 minutes) after an event's end
MATERIAL_SPIKE = 3.0      # extra events per bucket
MATERIAL_DROP = 8.0       # missing events over the whole drop
# Poisson tail of the event's intended count under the entity's expected count: ~3.7 one-sided
# standard deviations. Set from first principles (a 5-minute scan of ~1000 series sees ~0.1
# chance excursions a day at this level), not tuned on any detector's score.
MATERIAL_P = 1e-4
CHUNK_DAYS = 4
TZ = "Asia/Seoul"

# (kind, entity, metric): entities of varied size in the generated shop
TARGETS = [
    ("product", "1", "views"), ("product", "4", "views"), ("product", "12", "views"),
    ("product", "30", "views"), ("product", "1", "cart_adds"), ("category", "1", "views"),
    ("category", "6", "views"), ("keyword", "원피스", "searches"), ("keyword", "가디건", "searches"),
    ("shop", "", "visitors"), ("shop", "", "orders"), ("shop", "", "views"),
]


@dataclass(frozen=True)
class Labelled:
    key: Key
    direction: str      # SPIKE or DROP
    start: int          # bucket index, inclusive
    end: int            # exclusive
    factor: float       # x multiplier for spikes, remaining share for drops

    def to_dict(self, t0: datetime) -> dict:
        return {"series": self.key.label(), "direction": self.direction,
                "start": (t0 + self.start * BUCKET).isoformat(),
                "minutes": (self.end - self.start) * 5, "factor": self.factor}


@dataclass
class Case:
    t0: datetime                    # start of bucket 0 (UTC)
    keys: list[Key]
    counts: np.ndarray              # (E, T)
    events: list[Labelled]
    eval_start: int                 # first evaluated bucket
    product_category: dict[str, str]


def _series(*, seed: int, end: date, visitors: int) -> tuple[datetime, list[Key], np.ndarray, dict]:
    from events.generate import CATEGORIES, KEYWORDS, generate

    days = HISTORY_DAYS + EVAL_DAYS
    zone = ZoneInfo(TZ)
    first = end - timedelta(days=days - 1)
    t0 = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    t0_us = int(t0.timestamp() * 1e6)
    T = days * 288 + 12
    keys: list[Key] = [Key("shop", "", m) for m in ("visitors", "views", "cart_adds", "orders", "searches")]
    prod_metrics = ("views", "cart_adds", "orders")
    pc = {str(p): str((p - 1) % 10 + 1) for p in range(1, PRODUCTS + 1)}
    for p in range(1, PRODUCTS + 1):
        keys += [Key("product", str(p), m) for m in prod_metrics]
    for c in range(1, len(CATEGORIES) + 1):
        keys += [Key("category", str(c), m) for m in prod_metrics]
    keys += [Key("keyword", kw, "searches") for kw in KEYWORDS]
    row = {k: i for i, k in enumerate(keys)}
    counts = np.zeros((len(keys), T))
    shop = {m: row[Key("shop", "", m)] for m in ("visitors", "views", "cart_adds", "orders", "searches")}
    chunk_end, piece = end, 0
    while chunk_end >= first:
        n_days = min(CHUNK_DAYS, (chunk_end - first).days + 1)
        for b in generate(client_id=1, days=n_days, visitors=visitors, seed=seed * 1000 + piece,
                          end=chunk_end, tz=TZ, products=PRODUCTS):
            bucket = (b.created_at_us - t0_us) // (BUCKET_S * 1_000_000)
            ok = (bucket >= 0) & (bucket < T)
            et = b.event_type
            # visitors: distinct browsers per bucket
            u = b.uuid.view(np.uint64)[:, 0]
            pairs = np.unique(np.stack([bucket[ok], u[ok].astype(np.int64)], axis=1), axis=0)
            np.add.at(counts[shop["visitors"]], pairs[:, 0], 1)
            prod = b.codes["product"]
            for code, metric in ((82, "views"), (41, "cart_adds"), (62, "orders")):
                sel = ok & (et == code) & (prod >= 0)
                rows = np.array([row[Key("product", str(p + 1), metric)] for p in range(PRODUCTS)])
                np.add.at(counts, (rows[prod[sel]], bucket[sel]), 1)
                crow = np.array([row[Key("category", pc[str(p + 1)], metric)] for p in range(PRODUCTS)])
                np.add.at(counts, (crow[prod[sel]], bucket[sel]), 1)
                if metric != "orders":
                    np.add.at(counts[shop[metric]], bucket[sel], 1)
            # shop-wide orders are orders (distinct order ids), not order lines: one basket of
            # three products is one order, and lines arriving together would look like bursts
            sel = ok & (et == 62)
            orders = np.unique(np.stack([bucket[sel], b.codes["order"][sel].astype(np.int64)], axis=1), axis=0)
            np.add.at(counts[shop["orders"]], orders[:, 0], 1)
            kw = b.codes["keyword"]
            sel = ok & (et == 20) & (kw >= 0)
            krow = np.array([row[Key("keyword", k, "searches")] for k in KEYWORDS])
            np.add.at(counts, (krow[kw[sel]], bucket[sel]), 1)
            np.add.at(counts[shop["searches"]], bucket[sel], 1)
        chunk_end -= timedelta(days=n_days)
        piece += 1
    return t0, keys, counts, pc


def material(expected: float, factor: float, direction: str, length: int) -> bool:
    """Whether an event of ``factor`` over ``length`` buckets on an entity expecting
    ``expected`` events in that time is one any detector could be asked to find (see above)."""
    intended = factor * expected
    if direction == SPIKE:
        if (factor - 1) * expected / length < MATERIAL_SPIKE:
            return False
        return poisson_tail(expected, intended, upper=True) < MATERIAL_P
    if (1 - factor) * expected < MATERIAL_DROP:
        return False
    return poisson_tail(expected, intended, upper=False) < MATERIAL_P


def _parents(key: Key, pc: dict[str, str]) -> list[Key]:
    if key.kind == "product":
        return [Key("category", pc[key.entity], key.metric), Key("shop", "", key.metric)]
    if key.kind in ("category", "keyword"):
        return [Key("shop", "", key.metric)]
    return []


def build_case(seed: int, *, end: date = date(2025, 9, 30), visitors: int = VISITS_PER_DAY) -> Case:
    t0, keys, counts, pc = _series(seed=seed, end=end, visitors=visitors)
    row = {k: i for i, k in enumerate(keys)}
    rng = np.random.default_rng(np.random.SeedSequence([seed, 77]))
    zone = ZoneInfo(TZ)
    eval_start = HISTORY_DAYS * 288
    events: list[Labelled] = []
    for d in range(EVAL_DAYS):
        day = end - timedelta(days=EVAL_DAYS - 1 - d)
        opening = datetime.combine(day, datetime.min.time(), tzinfo=zone).replace(hour=9).astimezone(timezone.utc)
        cursor = int((opening - t0).total_seconds()) // BUCKET_S + int(rng.integers(0, 12))
        day_end = cursor + 14 * 12
        while True:
            kind, entity, metric = TARGETS[int(rng.integers(len(TARGETS)))]
            key = Key(kind, entity, metric)
            direction = DROP if (metric == "orders" or rng.random() < 0.35) else SPIKE
            if direction == SPIKE:
                length = int(rng.integers(3, 19))       # 15-90 min
                factor = float(np.round(rng.uniform(2, 10), 1))
            else:
                length = int(rng.integers(4, 25))       # 20-120 min
                factor = 0.0 if (metric == "orders" or rng.random() < 0.5) else 0.3
            start, stop = cursor, cursor + length
            if stop > day_end:
                break
            i = row[key]
            seg = counts[i, start:stop]
            smooth = np.array([counts[i, max(0, s - 6):s + 6].mean() for s in range(start, stop)])
            if not material(float(smooth.sum()), factor, direction, length):
                cursor += 3
                continue
            if direction == SPIKE:
                delta = rng.poisson((factor - 1) * smooth).astype(float)
            else:
                delta = -rng.binomial(seg.astype(np.int64), 1 - factor).astype(float)
            counts[i, start:stop] += delta
            for parent in _parents(key, pc):
                counts[row[parent], start:stop] = np.maximum(0, counts[row[parent], start:stop] + delta)
            if key == Key("shop", "", "orders") and direction == DROP:
                # a broken checkout: no product's or category's order gets through either
                for k, j in row.items():
                    if k.metric == "orders" and k.kind in ("product", "category"):
                        counts[j, start:stop] = np.round(counts[j, start:stop] * factor)
            events.append(Labelled(key, direction, start, stop, factor))
            cursor = stop + GAP // BUCKET + int(rng.integers(0, 24))
    return Case(t0, keys, counts, events, eval_start, pc)


def frame_at(case: Case, t: int) -> Frame:
    """The scan right after bucket ``t`` closed (``t`` is the current bucket)."""
    end = t + 1
    return Frame(at=case.t0 + end * BUCKET, keys=case.keys,
                 recent=case.counts[:, end - RECENT:end],
                 yesterday=case.counts[:, end - 312:end - 312 + SEASONAL],
                 week=case.counts[:, end - 2040:end - 2040 + SEASONAL],
                 product_category=case.product_category)


@dataclass
class Episode:
    key: Key
    level: str
    start: int
    last: int


def run(case: Case, detector: str = "ours", **params) -> list[Episode]:
    """Scan every bucket of the evaluated days; return the alert episodes."""
    tracks: dict[int, Track] = {}
    first: dict[int, int] = {}
    episodes: list[Episode] = []
    T = case.counts.shape[1] - 12
    for t in range(case.eval_start, T):
        frame = frame_at(case, t)
        if detector == "ours":
            frozen = {i: tr.expected for i, tr in tracks.items() if tr.alerting}
            sig = detect(frame, frozen=frozen)
            levels = sig.level
        else:
            sig = detect_v3(frame, **params)
            levels = [lv if lv == SPIKE else None for lv in sig.level]   # the seed alerts on SPIKE
        at = frame.at
        active = set(tracks) | {i for i, lv in enumerate(levels) if lv}
        for i in active:
            before = tracks.get(i)
            after, what = advance(before, levels[i], at=at, observed=float(sig.observed[i]),
                                  expected=float(sig.expected[i]))
            if before is not None and after is None and before.alerting:
                episodes.append(Episode(case.keys[i], before.level, first[i], t))
            if after is None:
                tracks.pop(i, None)
            else:
                if before is None or (after.alerting and not before.alerting):
                    first[i] = t
                tracks[i] = after
    for i, tr in tracks.items():
        if tr.alerting:
            episodes.append(Episode(case.keys[i], tr.level, first[i], T))
    return episodes


def score(case: Case, episodes: list[Episode]) -> dict:
    def overlaps(ep: Episode, ev: Labelled) -> bool:
        return ep.level == ev.direction and ep.start < ev.end + GRACE and ep.last >= ev.start

    tp = sum(1 for ep in episodes if any(overlaps(ep, ev) and ep.key.related(ev.key, case.product_category)
                                         for ev in case.events))
    found = [ev for ev in case.events if any(overlaps(ep, ev) and ep.key == ev.key for ep in episodes)]
    delays = [min(ep.start - ev.start for ep in episodes if overlaps(ep, ev) and ep.key == ev.key) * 5
              for ev in found]
    return {"alerts": len(episodes), "tp_alerts": tp, "events": len(case.events), "found": len(found),
            "missed": [ev.to_dict(case.t0) for ev in case.events if ev not in found],
            "false": [{"series": ep.key.label(), "level": ep.level,
                       "start": (case.t0 + ep.start * BUCKET).isoformat()}
                      for ep in episodes if not any(overlaps(ep, ev) and ep.key.related(ev.key, case.product_category)
                                                    for ev in case.events)],
            "delays_min": delays}


def summarise(scores: list[dict]) -> dict:
    alerts = sum(s["alerts"] for s in scores)
    tp = sum(s["tp_alerts"] for s in scores)
    events = sum(s["events"] for s in scores)
    found = sum(s["found"] for s in scores)
    p = tp / alerts if alerts else 0.0
    r = found / events if events else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    delays = sorted(d for s in scores for d in s["delays_min"])
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3), "alerts": alerts,
            "true_alerts": tp, "events": events, "found": found,
            "median_delay_min": delays[len(delays) // 2] if delays else None}
