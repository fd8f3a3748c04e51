"""Campaign result statistics (pure): conversion, lift over the holdout and its 95 % CI."""
from __future__ import annotations

import math

Z95 = 1.959964


def rate(conv: int, n: int) -> float | None:
    return conv / n if n else None


def lift_ci(conv_t: int, n_t: int, conv_c: int, n_c: int) -> dict:
    """Absolute lift p_t - p_c with a two-proportion normal-approximation 95 % interval.

    Also the relative lift when the holdout converted at all. Small groups get ``None`` rather
    than a confident-looking number.
    """
    if not n_t or not n_c:
        return {"diff": None, "low": None, "high": None, "relative": None, "significant": False}
    p_t, p_c = conv_t / n_t, conv_c / n_c
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    diff = p_t - p_c
    low, high = diff - Z95 * se, diff + Z95 * se
    return {"diff": diff, "low": low, "high": high, "relative": (diff / p_c) if p_c else None,
            "significant": bool(se) and (low > 0 or high < 0)}
