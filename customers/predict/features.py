"""Per-customer history at a cut-off: BG/NBD's (x, t_x, T), order value, and what the events add.

Times are float days (UTC epoch days), so a cut-off is one number and the time split (features
up to a cut-off, labels after it) is array arithmetic. Orders on the same day count as one
purchase day for BG/NBD (lifetimes' convention); the order count and value keep every order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

DAY = 86400.0


def epoch_days(ts: datetime) -> float:
    ts = ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    return ts.timestamp() / DAY


@dataclass(frozen=True)
class Activity:
    """Behaviour since the customer's last order before the cut-off (0 / None without events)."""
    views: int = 0
    cart_adds: int = 0
    visits: int = 0
    last_seen_days: float | None = None  # epoch days of the last event before the cut-off


@dataclass
class History:
    """Every customer's orders: ``orders[key]`` = (epoch days, amount) pairs, any order."""
    orders: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def first_order_days(self) -> float | None:
        firsts = [min(t for t, _ in o) for o in self.orders.values() if o]
        return min(firsts) if firsts else None


@dataclass(frozen=True)
class Summary:
    keys: list[str]
    x: np.ndarray          # repeat purchase days
    t_x: np.ndarray        # first -> last purchase day
    T: np.ndarray          # first purchase day -> cut-off
    n_orders: np.ndarray
    mean_value: np.ndarray
    views: np.ndarray
    cart_adds: np.ndarray
    visits: np.ndarray
    days_since_seen: np.ndarray  # last event (or last order, whichever is later) -> cut-off
    has_events: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)


def summarize(history: History, cutoff: float, activity: dict[str, Activity] | None = None,
              keys: list[str] | None = None) -> Summary:
    """Customers with at least one order before ``cutoff``, described by what happened before it."""
    activity = activity or {}
    out_keys, rows = [], []
    for key in (keys if keys is not None else sorted(history.orders)):
        before = [(t, a) for t, a in history.orders.get(key, ()) if t < cutoff]
        if not before:
            continue
        days = np.unique(np.floor([t for t, _ in before]))
        first, last = float(days[0]), float(days[-1])
        cut_day = np.floor(cutoff) if cutoff > np.floor(cutoff) else cutoff
        act = activity.get(key, Activity())
        seen = max(last, act.last_seen_days) if act.last_seen_days is not None else last
        out_keys.append(key)
        rows.append((len(days) - 1, last - first, max(cut_day - first, last - first), len(before),
                     float(np.mean([a for _, a in before])), act.views, act.cart_adds, act.visits,
                     max(0.0, cutoff - seen), act.last_seen_days is not None))
    arr = np.array(rows, dtype=float) if rows else np.zeros((0, 10))
    return Summary(keys=out_keys, x=arr[:, 0], t_x=arr[:, 1], T=arr[:, 2], n_orders=arr[:, 3],
                   mean_value=arr[:, 4], views=arr[:, 5], cart_adds=arr[:, 6], visits=arr[:, 7],
                   days_since_seen=arr[:, 8], has_events=arr[:, 9])


def bought_within(history: History, keys: list[str], start: float, days: float) -> np.ndarray:
    """1 where the customer ordered in [start, start + days): the label of the time split."""
    end = start + days
    return np.array([int(any(start <= t < end for t, _ in history.orders.get(k, ()))) for k in keys])


def revenue_within(history: History, keys: list[str], start: float, days: float) -> np.ndarray:
    end = start + days
    return np.array([sum(a for t, a in history.orders.get(k, ()) if start <= t < end) for k in keys], dtype=float)
