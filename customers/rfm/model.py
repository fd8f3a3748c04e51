"""The Gaussian mixture over log-scaled RFM, its segment names, and a pickle-free scorer.

Fitting uses scikit-learn's GaussianMixture (full covariances: the seed chose GMM because RFM
clouds are elliptical and tilted, not round). A fitted version is stored as JSON: the scaler's
mean/scale, the mixture's weights/means/covariances and the component -> segment map. Scoring
(the real-time path, one customer at a time) recomputes the posterior with numpy from those
numbers, so a stored model never goes through pickle and does not depend on sklearn's internals.

Naming rule (deterministic, documented for marketers in the UI):
  each component's value = mean z(frequency) + mean z(monetary) - mean z(recency)
  (z = the scaled log feature, so every axis weighs the same);
  1. the highest-value component            -> "vip"     (우수 VIP)
  2. of the rest, the least recent (largest
     mean recency)                           -> "dormant" (휴면 이탈)
  3. the rest by value, highest first: the first half (rounded up) -> "mid" (중고가치 일반),
     the others -> "low" (저가치 일반).
With k != 4 components several components can share a segment; a customer's probability of a
segment is the sum over its components, and the segment is the most probable one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .features import Scaler, log_transform

SEGMENTS = ("vip", "mid", "low", "dormant")  # value order, for tables and charts
DEFAULT_NAMES = {"vip": "우수 VIP", "mid": "중고가치 일반", "low": "저가치 일반", "dormant": "휴면 이탈"}
DEFAULT_COMPONENTS = 4
BIC_RANGE = (2, 6)
RANDOM_STATE = 0
MIN_CUSTOMERS = 8  # below this a mixture is noise; the service reports "not enough customers"


class NotEnoughCustomers(ValueError):
    pass


@dataclass
class SegmentModel:
    scaler: Scaler
    weights: list[float]
    means: list[list[float]]
    covariances: list[list[list[float]]]
    component_segments: list[str]
    metrics: dict = field(default_factory=dict)

    @property
    def n_components(self) -> int:
        return len(self.weights)

    # --- serialisation (plain JSON, stored on CustomerModel.params) ---------------------------
    def to_params(self) -> dict:
        return {
            "features": ["recency", "frequency", "monetary"],
            "transform": "log1p+standard",
            "scaler": {"mean": self.scaler.mean, "scale": self.scaler.scale},
            "weights": self.weights,
            "means": self.means,
            "covariances": self.covariances,
            "component_segments": self.component_segments,
        }

    @classmethod
    def from_params(cls, params: dict, metrics: dict | None = None) -> "SegmentModel":
        segs = list(params["component_segments"])
        if any(s not in SEGMENTS for s in segs):
            raise ValueError("unknown segment in stored model")
        weights = [float(w) for w in params["weights"]]
        means = [[float(v) for v in m] for m in params["means"]]
        covs = [[[float(v) for v in row] for row in c] for c in params["covariances"]]
        if not (len(weights) == len(means) == len(covs) == len(segs)):
            raise ValueError("stored model is inconsistent")
        return cls(
            scaler=Scaler(mean=[float(v) for v in params["scaler"]["mean"]],
                          scale=[float(v) for v in params["scaler"]["scale"]]),
            weights=weights, means=means, covariances=covs, component_segments=segs,
            metrics=metrics or {},
        )

    # --- scoring ------------------------------------------------------------------------------
    def component_proba(self, raw: np.ndarray) -> np.ndarray:
        """Posterior over components for raw (n, 3) recency/frequency/monetary rows."""
        z = self.scaler.transform(log_transform(np.atleast_2d(raw)))
        n = z.shape[0]
        log_p = np.empty((n, self.n_components))
        for k in range(self.n_components):
            cov = np.array(self.covariances[k])
            chol = np.linalg.cholesky(cov)
            diff = np.linalg.solve(chol, (z - np.array(self.means[k])).T)  # (3, n)
            maha = (diff**2).sum(axis=0)
            log_det = 2.0 * np.log(np.diag(chol)).sum()
            log_p[:, k] = (math.log(self.weights[k]) - 0.5 * (maha + log_det + z.shape[1] * math.log(2 * math.pi)))
        log_p -= log_p.max(axis=1, keepdims=True)
        p = np.exp(log_p)
        return p / p.sum(axis=1, keepdims=True)

    def segment_proba(self, raw: np.ndarray) -> np.ndarray:
        """(n, len(SEGMENTS)) probabilities per named segment, columns in SEGMENTS order."""
        comp = self.component_proba(raw)
        out = np.zeros((comp.shape[0], len(SEGMENTS)))
        for k, seg in enumerate(self.component_segments):
            out[:, SEGMENTS.index(seg)] += comp[:, k]
        return out

    def assign(self, raw: np.ndarray) -> list[tuple[str, dict[str, float]]]:
        """Per row: (segment, {segment: probability}) with probabilities rounded for storage."""
        proba = self.segment_proba(raw)
        present = [s for s in SEGMENTS if s in self.component_segments]
        result = []
        for row in proba:
            probs = {s: round(float(row[SEGMENTS.index(s)]), 4) for s in present}
            best = max(present, key=lambda s: (row[SEGMENTS.index(s)], -SEGMENTS.index(s)))
            result.append((best, probs))
        return result


def name_components(means_z: np.ndarray) -> list[str]:
    """The module docstring's rule, on component means in scaled (recency, frequency, monetary)."""
    k = means_z.shape[0]
    value = means_z[:, 1] + means_z[:, 2] - means_z[:, 0]
    names: list[str | None] = [None] * k
    order = sorted(range(k), key=lambda i: (-value[i], i))
    names[order[0]] = "vip"
    rest = order[1:]
    if rest:
        dormant = max(rest, key=lambda i: (means_z[i, 0], -i))
        names[dormant] = "dormant"
        rest = [i for i in rest if i != dormant]
        upper = math.ceil(len(rest) / 2)
        for pos, i in enumerate(rest):  # still in value order
            names[i] = "mid" if pos < upper else "low"
    return [n or "low" for n in names]


def fit(raw: np.ndarray, *, n_components: int = DEFAULT_COMPONENTS, bic_range: tuple[int, int] = BIC_RANGE,
        random_state: int = RANDOM_STATE) -> SegmentModel:
    """Fit on raw (n, 3) RFM. ``n_components`` 0 = choose by lowest BIC within ``bic_range``."""
    from sklearn.mixture import GaussianMixture

    raw = np.asarray(raw, dtype=float)
    n = raw.shape[0]
    if n < MIN_CUSTOMERS:
        raise NotEnoughCustomers(f"{n} customers with orders; at least {MIN_CUSTOMERS} are needed")
    x = log_transform(raw)
    scaler = Scaler.fit(x)
    z = scaler.transform(x)

    def one(k: int):
        # reg_covar above sklearn's 1e-6: most shops have a wall of one-order customers, and a
        # component sitting on it would otherwise have a singular covariance.
        gm = GaussianMixture(n_components=k, covariance_type="full", random_state=random_state,
                             n_init=2, reg_covar=1e-3, max_iter=300)
        gm.fit(z)
        return gm

    bic: dict[int, float] = {}
    if n_components and n_components > 0:
        k = max(1, min(int(n_components), n - 1))
        best = one(k)
        bic[k] = float(best.bic(z))
    else:
        lo, hi = bic_range
        best = None
        for k in range(lo, min(hi, n - 1) + 1):
            gm = one(k)
            bic[k] = float(gm.bic(z))
            if best is None or bic[k] < bic[best.n_components]:
                best = gm
    segs = name_components(best.means_)
    model = SegmentModel(
        scaler=scaler,
        weights=best.weights_.tolist(),
        means=best.means_.tolist(),
        covariances=best.covariances_.tolist(),
        component_segments=segs,
    )
    model.metrics = {
        "n_customers": int(n),
        "n_components": int(best.n_components),
        "selection": "fixed" if n_components else "bic",
        "bic": {str(k): round(v, 2) for k, v in bic.items()},
        "converged": bool(best.converged_),
        "avg_log_likelihood": round(float(best.score(z)), 4),
        "component_means_raw": [
            [round(float(v), 2) for v in np.expm1(scaler.inverse(np.array(m)))] for m in best.means_
        ],
    }
    return model


def segment_summary(rows_rfm: np.ndarray, segments: list[str]) -> list[dict]:
    """Per segment: customers, share, mean recency/frequency/monetary, value share (of monetary)."""
    raw = np.asarray(rows_rfm, dtype=float)
    total_n = len(segments)
    total_m = float(raw[:, 2].sum()) if total_n else 0.0
    out = []
    seg_arr = np.array(segments)
    for seg in SEGMENTS:
        mask = seg_arr == seg if total_n else np.zeros(0, dtype=bool)
        n = int(mask.sum())
        if not n:
            continue
        sub = raw[mask]
        out.append({
            "segment": seg,
            "customers": n,
            "customer_share": round(n / total_n, 4),
            "recency_mean": round(float(sub[:, 0].mean()), 1),
            "frequency_mean": round(float(sub[:, 1].mean()), 2),
            "monetary_mean": round(float(sub[:, 2].mean()), 1),
            "monetary_total": round(float(sub[:, 2].sum()), 1),
            "value_share": round(float(sub[:, 2].sum()) / total_m, 4) if total_m else 0.0,
        })
    return out


# A customer is 휴면 only once she is overdue: later than this many times her usual interval.
CYCLE_TOLERANCE = 1.5


def usual_interval_days(first_order_days: float | None, last_order_days: float, frequency: int) -> float | None:
    """A repeat customer's mean days between orders; None for a one-order customer."""
    if first_order_days is None or frequency < 2:
        return None
    return max(1.0, (last_order_days - first_order_days) / (frequency - 1))


def shop_cycle_days(intervals: list[float | None]) -> float | None:
    """The shop's purchase cycle: the median usual interval of its repeat customers."""
    known = sorted(v for v in intervals if v is not None)
    return float(np.median(known)) if known else None


def respect_purchase_cycle(assigned: list[tuple[str, dict[str, float]]], recency: list[int],
                           intervals: list[float | None], shop_cycle: float | None) -> list[tuple[str, dict]]:
    """Rename 휴면 customers who are not overdue (issue 22): the mixture calls its least recent
    cluster dormant, which in a young shop (30 days of history) is most buyers, top spenders who
    bought within their usual interval included. Such a customer gets her most probable other
    segment. One-order customers are measured against the shop's cycle; with no repeat customers
    at all there is no cycle to measure against and the mixture's name stands."""
    out = []
    for (segment, probs), r, own in zip(assigned, recency, intervals):
        cycle = own if own is not None else shop_cycle
        if segment == "dormant" and cycle is not None and r <= CYCLE_TOLERANCE * cycle:
            others = [s for s in SEGMENTS if s != "dormant" and s in probs]
            if others:
                segment = max(others, key=lambda s: (probs[s], -SEGMENTS.index(s)))
        out.append((segment, probs))
    return out
