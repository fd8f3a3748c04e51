"""Who buys again within 30 / 90 days, and for how much: learnt from the shop's own history.

Time split: features are computed up to a cut-off (``now`` - 90 days), labels are "ordered in the
30 / 90 days after it"; a logistic regression per horizon learns from BG/NBD's quantities
(P(alive), expected purchases), recency / frequency / T / order value and the behaviour the
events add since the last order (product views, cart adds, visits, days since last seen). Its
probabilities are calibrated by isotonic regression on out-of-fold predictions. The same
features computed up to ``now`` (BG/NBD refitted up to now) are then scored: the refit.

Before any of it is trusted, 20 % of the training customers (by a hash of the key, so the same
ones each night) are held out: the AUC, Brier score and predicted-vs-observed per decile shown
on the customers page come from them, scored by a model that never saw them.

Fallback (too little history: fewer than ``MIN_TRAIN_CUSTOMERS`` customers with an order before
the cut-off, fewer than ``MIN_POSITIVES`` of each label, or under ``MIN_DAYS_BEFORE_CUTOFF`` days
of orders before it): BG/NBD alone, fitted on everything up to now; P(order within h) is its
exact P(alive) x P(a purchase within h | alive). Fewer than ``MIN_CUSTOMERS`` customers: no
scores at all.

Expected revenue over 90 days = P(order within 90 days) x BG/NBD's expected orders given at
least one x Gamma-Gamma's expected order value (the customer's mean shrunk to the shop's).

Stored as JSON (no pickle): BG/NBD / Gamma-Gamma parameters, scaler, coefficients and the
isotonic curve's knots; scoring is numpy only.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .bgnbd import BGNBD, GammaGamma, fit_bgnbd, fit_gamma_gamma
from .features import Activity, History, Summary, bought_within, summarize

HORIZONS = (30, 90)
REVENUE_DAYS = 90
TRAIN_GAP = 90               # the cut-off sits this many days before now (the longest horizon)
MIN_CUSTOMERS = 8            # same floor as the segments: below it nothing is scored
MIN_TRAIN_CUSTOMERS = 200
MIN_POSITIVES = 20
MIN_DAYS_BEFORE_CUTOFF = 30
HOLDOUT_SHARE = 0.2
FEATURES = ("log_repeat_days", "log_span", "log_age", "log_recency", "recency_share", "log_orders",
            "log_order_value", "logit_alive", "log_expected", "log_views", "log_cart_adds", "log_visits",
            "log_days_since_seen", "has_events")


class NotEnoughHistory(ValueError):
    pass


def design(s: Summary, bg: BGNBD, horizon: float) -> np.ndarray:
    rec = s.T - s.t_x
    alive = np.clip(bg.p_alive(s.x, s.t_x, s.T), 1e-6, 1 - 1e-6)
    expected = bg.expected_purchases(horizon, s.x, s.t_x, s.T)
    return np.column_stack([
        np.log1p(s.x), np.log1p(s.t_x), np.log1p(s.T), np.log1p(rec), rec / (s.T + 1.0), np.log1p(s.n_orders),
        np.log1p(s.mean_value), np.log(alive / (1 - alive)), np.log1p(expected), np.log1p(s.views),
        np.log1p(s.cart_adds), np.log1p(s.visits), np.log1p(s.days_since_seen), s.has_events,
    ])


@dataclass
class Head:
    """One horizon's classifier: standardise -> logistic -> isotonic calibration."""
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    iso_x: list[float]
    iso_y: list[float]

    def raw(self, X: np.ndarray) -> np.ndarray:
        z = (X - np.array(self.mean)) / np.array(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.array(self.coef) + self.intercept)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.interp(self.raw(X), self.iso_x, self.iso_y)

    def to_params(self) -> dict:
        return {"mean": self.mean, "scale": self.scale, "coef": self.coef, "intercept": self.intercept,
                "iso_x": self.iso_x, "iso_y": self.iso_y}

    @classmethod
    def from_params(cls, p: dict) -> "Head":
        return cls(mean=[float(v) for v in p["mean"]], scale=[float(v) for v in p["scale"]],
                   coef=[float(v) for v in p["coef"]], intercept=float(p["intercept"]),
                   iso_x=[float(v) for v in p["iso_x"]], iso_y=[float(v) for v in p["iso_y"]])


def _fit_head(X: np.ndarray, y: np.ndarray, seed: int = 0) -> Head:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale

    def lr():
        return LogisticRegression(C=1.0, max_iter=2000)

    # out-of-fold raw probabilities: the isotonic curve never calibrates on its own training rows
    oof = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for tr, te in folds.split(Z, y):
        oof[te] = lr().fit(Z[tr], y[tr]).predict_proba(Z[te])[:, 1]
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof, y)
    final = lr().fit(Z, y)
    return Head(mean=mean.tolist(), scale=scale.tolist(), coef=final.coef_[0].tolist(),
                intercept=float(final.intercept_[0]), iso_x=[float(v) for v in iso.X_thresholds_],
                iso_y=[float(v) for v in iso.y_thresholds_])


def deciles(predicted: np.ndarray, observed: np.ndarray) -> list[dict]:
    """Predicted vs observed rate per tenth of customers ranked by prediction (lowest first)."""
    order = np.argsort(predicted, kind="stable")
    out = []
    for i, idx in enumerate(np.array_split(order, 10)):
        if len(idx):
            out.append({"decile": i + 1, "customers": int(len(idx)), "predicted": round(float(predicted[idx].mean()), 4),
                        "observed": round(float(observed[idx].mean()), 4)})
    return out


def quality(predicted: np.ndarray, observed: np.ndarray) -> dict:
    from sklearn.metrics import roc_auc_score

    both = 0 < observed.sum() < len(observed)
    return {"customers": int(len(observed)), "observed_rate": round(float(observed.mean()), 4),
            "predicted_rate": round(float(predicted.mean()), 4),
            "auc": round(float(roc_auc_score(observed, predicted)), 4) if both else None,
            "brier": round(float(np.mean((predicted - observed) ** 2)), 4), "deciles": deciles(predicted, observed)}


def _held_out(keys: list[str]) -> np.ndarray:
    """The same ~20 % of customers every time (sha1 of the key), never random per run."""
    return np.array([int(hashlib.sha1(k.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HOLDOUT_SHARE for k in keys])


@dataclass(frozen=True)
class Scores:
    keys: list[str]
    p30: np.ndarray
    p90: np.ndarray
    expected_revenue_90d: np.ndarray


@dataclass
class PurchaseModel:
    kind: str                  # "classifier" (time split) | "bgnbd" (the fallback)
    bgnbd: BGNBD
    gamma_gamma: GammaGamma
    heads: dict[int, Head] = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    def to_params(self) -> dict:
        return {"kind": self.kind, "features": list(FEATURES), "bgnbd": self.bgnbd.to_params(),
                "gamma_gamma": self.gamma_gamma.to_params(),
                "heads": {str(h): head.to_params() for h, head in self.heads.items()}}

    @classmethod
    def from_params(cls, p: dict, metrics: dict | None = None) -> "PurchaseModel":
        return cls(kind=p["kind"], bgnbd=BGNBD.from_params(p["bgnbd"]),
                   gamma_gamma=GammaGamma.from_params(p["gamma_gamma"]),
                   heads={int(h): Head.from_params(v) for h, v in (p.get("heads") or {}).items()},
                   metrics=metrics or {})

    def probability(self, s: Summary, horizon: int) -> np.ndarray:
        if self.kind == "classifier" and horizon in self.heads:
            return self.heads[horizon].predict(design(s, self.bgnbd, horizon))
        return self.bgnbd.p_any_purchase(horizon, s.x, s.t_x, s.T)

    def score(self, s: Summary) -> Scores:
        p = {h: self.probability(s, h) for h in HORIZONS}
        bg = self.bgnbd
        expected = bg.expected_purchases(REVENUE_DAYS, s.x, s.t_x, s.T)
        p_bg = np.clip(bg.p_any_purchase(REVENUE_DAYS, s.x, s.t_x, s.T), 1e-9, None)
        orders_if_any = np.maximum(1.0, expected / p_bg)
        value = self.gamma_gamma.expected_order_value(s.n_orders, s.mean_value)
        # a 30-day chance above the 90-day one would read as a bug to a marketer (two separate heads)
        p30 = np.minimum(p[30], p[90])
        return Scores(keys=list(s.keys), p30=p30, p90=p[90], expected_revenue_90d=p[90] * orders_if_any * value)


def _bg_and_gg(s: Summary) -> tuple[BGNBD, GammaGamma]:
    return fit_bgnbd(s.x, s.t_x, s.T), fit_gamma_gamma(s.n_orders, s.mean_value)


def fit(history: History, *, now: float, activity_now: dict[str, Activity] | None = None,
        activity_at_cutoff: dict[str, Activity] | None = None) -> PurchaseModel:
    """Fit on ``history`` (orders up to ``now``, epoch days). The activity dicts are behaviour since
    the last order, counted up to ``now`` and up to the training cut-off (now - TRAIN_GAP)."""
    current = summarize(history, now, activity_now)
    if len(current) < MIN_CUSTOMERS:
        raise NotEnoughHistory(f"{len(current)} customers with orders; at least {MIN_CUSTOMERS} are needed")
    bg_now, gg = _bg_and_gg(current)
    cutoff = now - TRAIN_GAP
    train = summarize(history, cutoff, activity_at_cutoff)
    first = history.first_order_days()
    reason = ""
    labels = {}
    if first is None or cutoff - first < MIN_DAYS_BEFORE_CUTOFF:
        reason = f"orders span under {TRAIN_GAP + MIN_DAYS_BEFORE_CUTOFF} days"
    elif len(train) < MIN_TRAIN_CUSTOMERS:
        reason = f"{len(train)} customers before the cut-off (< {MIN_TRAIN_CUSTOMERS})"
    else:
        labels = {h: bought_within(history, train.keys, cutoff, h) for h in HORIZONS}
        low = min(min(int(y.sum()), int(len(y) - y.sum())) for y in labels.values())
        if low < MIN_POSITIVES:
            reason = f"only {low} customers in the smaller class of a label (< {MIN_POSITIVES})"
    metrics: dict = {"n_customers": len(current), "horizons": list(HORIZONS), "cutoff_days_before": TRAIN_GAP,
                     "bgnbd": bg_now.to_params(), "gamma_gamma": gg.to_params()}
    if reason:
        metrics.update(kind="bgnbd", fallback_reason=reason)
        return PurchaseModel(kind="bgnbd", bgnbd=bg_now, gamma_gamma=gg, metrics=metrics)

    bg_cut = fit_bgnbd(train.x, train.t_x, train.T)
    held = _held_out(train.keys)
    if held.all() or not held.any():
        held = np.zeros(len(train.keys), dtype=bool)
    heads, validation = {}, {}
    for h in HORIZONS:
        X, y = design(train, bg_cut, h), labels[h]
        fit_rows = ~held
        if held.any() and 0 < y[fit_rows].sum() < fit_rows.sum():
            trial = _fit_head(X[fit_rows], y[fit_rows])
            validation[str(h)] = quality(trial.predict(X[held]), y[held])
            validation[str(h)]["bgnbd_auc"] = quality(bg_cut.p_any_purchase(h, train.x[held], train.t_x[held],
                                                                            train.T[held]), y[held])["auc"]
        heads[h] = _fit_head(X, y)
    metrics.update(kind="classifier", n_train=len(train), train_positive_rate={
        str(h): round(float(labels[h].mean()), 4) for h in HORIZONS}, validation=validation)
    return PurchaseModel(kind="classifier", bgnbd=bg_now, gamma_gamma=gg, heads=heads, metrics=metrics)
