"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee 2005b) in numpy/scipy.

Our own fit, so ``lifetimes`` (unmaintained) stays a bench extra: the bench compares this
product's scores with lifetimes' BetaGeoFitter fitted on the same window.

Inputs per customer, in days (lifetimes' conventions): ``x`` = repeat purchase days (distinct
order days minus one), ``t_x`` = days from the first to the last order day, ``T`` = days from the
first order day to the cut-off. Parameters are stored as plain floats (JSON).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float

    def to_params(self) -> dict:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @classmethod
    def from_params(cls, p: dict) -> "BGNBD":
        return cls(r=float(p["r"]), alpha=float(p["alpha"]), a=float(p["a"]), b=float(p["b"]))

    def _dropout_term(self, x, t_x, T):
        """a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, else 0 (the 'dropped after the
        last purchase' odds in the likelihood and in P(alive))."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_term = (np.log(self.a) - np.log(np.maximum(self.b + x - 1, 1e-12))
                        + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x)))
            term = np.exp(np.minimum(log_term, 700))
        return np.where(x > 0, term, 0.0)

    def p_alive(self, x, t_x, T) -> np.ndarray:
        return 1.0 / (1.0 + self._dropout_term(x, t_x, T))

    def p_any_purchase(self, t: float, x, t_x, T) -> np.ndarray:
        """P(at least one purchase in (T, T+t]): alive now times P(a Poisson(lambda) event within t)
        under lambda's posterior Gamma(r+x, alpha+T). Exact for BG/NBD, where dropout can only
        happen right after a purchase."""
        x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
        none = np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + T + t)))
        return self.p_alive(x, t_x, T) * (1.0 - none)

    def expected_purchases(self, t: float, x, t_x, T) -> np.ndarray:
        """E[purchases in (T, T+t] | history] (the paper's eq. 10)."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        c = a + b + x - 1
        # Euler's transformation: 2F1(r+x, b+x; c; z) = (1-z)^(c-r-b-2x) 2F1(c-r-x, c-b-x; c; z). The
        # direct series loses all precision for frequent buyers (x = 80 gave a negative expectation);
        # the transformed one has small first parameters (a+b-1-r, a-1) whatever x is.
        # (the transformed series may be negative for a fitted b < 1: multiply, never take its log)
        hyp = hyp2f1(c - r - x, c - b - x, c, z)
        log_rest = (c - r - b - 2 * x) * np.log1p(-z) + (r + x) * (np.log(alpha + T) - np.log(alpha + T + t))
        # a < 1 is common (CDNOW: 0.72): then both factors are negative and the product is right
        first = c / (a - 1 if abs(a - 1) > 1e-9 else 1e-9)
        second = 1 - hyp * np.exp(log_rest)
        out = first * second / (1.0 + self._dropout_term(x, t_x, T))
        return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0), 0.0, None)


def _bgnbd_ll(log_params, x, t_x, T, weights):
    r, alpha, a, b = np.exp(log_params)
    base = (gammaln(r + x) - gammaln(r) + r * np.log(alpha))
    a1 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a2 = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b)
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    ll = base + np.logaddexp(a1, a2)
    return -(weights * ll).sum() / weights.sum()


def fit_bgnbd(x, t_x, T) -> BGNBD:
    """Maximum likelihood on unique (x, t_x, T) rows (weights = their counts), L-BFGS on logs."""
    rows = np.column_stack([np.asarray(v, dtype=float) for v in (x, t_x, T)])
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    ux, ut, uT = uniq[:, 0], uniq[:, 1], uniq[:, 2]
    w = counts.astype(float)
    scale = max(float(np.mean(uT)), 1.0)  # alpha lives on the time scale; start near it
    best = None
    for start in ([0.0, np.log(scale), 0.0, 0.0], [np.log(0.25), np.log(scale / 4), np.log(0.8), np.log(2.5)]):
        res = minimize(_bgnbd_ll, np.array(start), args=(ux, ut, uT, w), method="L-BFGS-B",
                       bounds=[(-8, 8), (-8, 12), (-8, 8), (-8, 8)])
        if best is None or res.fun < best.fun:
            best = res
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BGNBD(r=r, alpha=alpha, a=a, b=b)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float

    def to_params(self) -> dict:
        return {"p": self.p, "q": self.q, "v": self.v}

    @classmethod
    def from_params(cls, p: dict) -> "GammaGamma":
        return cls(p=float(p["p"]), q=float(p["q"]), v=float(p["v"]))

    def expected_order_value(self, n, mean_value) -> np.ndarray:
        """E[value of a future order | n orders averaging mean_value]: the customer's own mean
        shrunk towards the shop's, more for customers with few orders."""
        n = np.asarray(n, dtype=float)
        m = np.asarray(mean_value, dtype=float)
        out = (self.v + m * n) * self.p / (self.p * n + self.q - 1)
        pop = self.p * self.v / max(self.q - 1, 1e-6)
        return np.where(n > 0, out, pop)


def _gg_ll(log_params, n, m):
    p, q, v = np.exp(log_params)
    ll = (gammaln(p * n + q) - gammaln(p * n) - gammaln(q) + q * np.log(v) + (p * n - 1) * np.log(m)
          + p * n * np.log(n) - (p * n + q) * np.log(v + m * n))
    return -ll.mean()


def fit_gamma_gamma(n, mean_value) -> GammaGamma:
    """Fit on customers with a positive mean order value; q is kept above 1 (a finite mean)."""
    n = np.asarray(n, dtype=float)
    m = np.asarray(mean_value, dtype=float)
    keep = (n > 0) & (m > 0)
    n, m = n[keep], m[keep]
    if len(n) < 2 or np.allclose(m, m[0]):
        mean = float(m.mean()) if len(m) else 0.0
        # degenerate: everyone spends the same; a GG that returns that mean for all
        return GammaGamma(p=1e3, q=1e3 + 1.0, v=max(mean, 1e-9))
    start = np.log([1.0, 3.0, float(np.median(m)) * 2.0])
    res = minimize(_gg_ll, start, args=(n, m), method="L-BFGS-B",
                   bounds=[(-8, 10), (np.log(1.0001), 12), (-10, 30)])
    p, q, v = (float(x) for x in np.exp(res.x))
    return GammaGamma(p=p, q=q, v=v)
