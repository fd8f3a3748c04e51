"""The seed's V3 rule (seeds/003-streampulse-spikes.md, "개선 1: 감지 알고리즘 V3"), reimplemented
as the baseline our detector is measured against. Faithful to its structure:

    short_term   = MEDIAN(value) over [now-60m, now]           (the current bucket included)
    seasonal_7d  = AVG(value) over [now-170h, now-166h]
    seasonal_24h = AVG(value) over [now-26h, now-22h]
    seasonal_base = seasonal_7d, or seasonal_24h when there is no week of history
    is_major      = entity in the top 12 by baseline (of the same metric)
    growth_threshold = 1.5 if is_major else 1.7
    min_delta     = max(MIN_DELTA_ABS, seasonal_base * 0.3)
    SPIKE     if current >= short_term * growth_threshold and current >= seasonal_base * 1.2
                 and delta >= min_delta
    CANDIDATE elif growth_ratio >= 1.2 and delta >= CANDIDATE_DELTA_ABS

with delta = current - short_term and growth_ratio = current / short_term. The seed's absolute
constants (1500 and 500 viewers of a streaming category) have no meaning for a shop's 5-minute
counts, so ``MIN_DELTA_ABS`` / ``CANDIDATE_DELTA_ABS`` are parameters; ``eval_spikes`` picks
them by grid search on the tuning seeds (the baseline's best shot), then both detectors run on
the held-out seeds. The rule has no drop detection.
"""
from __future__ import annotations

import numpy as np

from .detector import CANDIDATE, SPIKE, Signals
from .series import Frame

MAJOR_TOP = 12
DEFAULT_MIN_DELTA_ABS = 5.0
DEFAULT_CANDIDATE_DELTA_ABS = 2.0


def detect_v3(frame: Frame, *, min_delta_abs: float = DEFAULT_MIN_DELTA_ABS,
              candidate_delta_abs: float = DEFAULT_CANDIDATE_DELTA_ABS) -> Signals:
    rec = frame.recent
    n = rec.shape[0]
    cur = rec[:, -1]
    short = np.median(rec[:, -12:], axis=1)
    s7 = frame.week.mean(axis=1) if frame.has_week else np.full(n, np.nan)
    s24 = frame.yesterday.mean(axis=1) if frame.has_yesterday else np.full(n, np.nan)
    base = np.where(np.isnan(s7), s24, s7)
    base = np.nan_to_num(base)
    metrics = np.array([k.metric for k in frame.keys])
    major = np.zeros(n, bool)
    for metric in set(metrics.tolist()):
        rows = np.flatnonzero(metrics == metric)
        top = rows[np.argsort(-base[rows], kind="stable")[:MAJOR_TOP]]
        major[top] = True
    growth = np.where(major, 1.5, 1.7)
    min_delta = np.maximum(min_delta_abs, base * 0.3)
    delta = cur - short
    ratio = np.where(short > 0, cur / np.maximum(short, 1e-9), np.inf)
    spike = (cur >= short * growth) & (cur >= base * 1.2) & (delta >= min_delta)
    cand = (ratio >= 1.2) & (delta >= candidate_delta_abs)
    levels = [SPIKE if spike[i] else CANDIDATE if cand[i] else None for i in range(n)]
    return Signals(levels, cur, short, ratio, short, s24, s7)
