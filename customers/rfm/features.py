"""Recency, Frequency, Monetary per customer, and the transform the mixture is fitted on.

Input is one aggregate per customer (what ClickHouse returns, see customers/selectors.py):
completed orders, cancelled orders, completed amount, cancelled amount, last order time.

- recency   = whole days from the last completed order to ``as_of`` (never negative)
- frequency = distinct completed orders minus distinct cancelled orders (never below 0)
- monetary  = completed amount minus cancelled amount (never below 0)

The mixture sees ``log1p`` of each (order counts and amounts are heavy-tailed: a few customers
buy 100x the median, and a Gaussian on raw values would spend components on them), then a
standard scaling so the three axes weigh the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np


@dataclass(frozen=True)
class OrderAggregate:
    customer_key: str
    orders: int
    cancelled: int
    amount: float
    cancelled_amount: float
    last_order_at: datetime
    first_order_at: datetime | None = None


@dataclass(frozen=True)
class RFM:
    customer_key: str
    recency: int
    frequency: int
    monetary: float
    last_order_at: datetime
    first_order_at: datetime | None = None

    def vector(self) -> list[float]:
        return [float(self.recency), float(self.frequency), float(self.monetary)]


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def rfm_from_aggregate(agg: OrderAggregate, *, as_of: datetime) -> RFM:
    days = (_aware(as_of) - _aware(agg.last_order_at)).total_seconds() / 86400.0
    return RFM(
        customer_key=agg.customer_key,
        recency=max(0, int(days)),
        frequency=max(0, int(agg.orders) - int(agg.cancelled)),
        monetary=max(0.0, float(agg.amount) - float(agg.cancelled_amount)),
        last_order_at=agg.last_order_at,
        first_order_at=agg.first_order_at,
    )


def rfm_table(aggs, *, as_of: datetime) -> list[RFM]:
    return [rfm_from_aggregate(a, as_of=as_of) for a in aggs]


def matrix(rows: list[RFM]) -> np.ndarray:
    """(n, 3) raw recency/frequency/monetary."""
    if not rows:
        return np.zeros((0, 3))
    return np.array([r.vector() for r in rows], dtype=float)


def log_transform(raw: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(np.asarray(raw, dtype=float), 0, None))


@dataclass
class Scaler:
    """StandardScaler's arithmetic, kept as two lists so a model version is plain JSON."""

    mean: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    scale: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])

    @classmethod
    def fit(cls, x: np.ndarray) -> "Scaler":
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std[std == 0] = 1.0  # a constant column (e.g. everyone bought once) stays at 0
        return cls(mean=mean.tolist(), scale=std.tolist())

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (x - np.array(self.mean)) / np.array(self.scale)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return z * np.array(self.scale) + np.array(self.mean)
