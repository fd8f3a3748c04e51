"""customers/predict without a database: BG/NBD recovers simulated parameters, the time split
learns a calibrated classifier when history allows and falls back to BG/NBD (said why) when not."""
import numpy as np

from customers.predict import model as M
from customers.predict.bgnbd import fit_bgnbd
from customers.predict.features import Activity, History, summarize


def _shop(n: int, days: float, seed: int = 0) -> History:
    """Customers buying at their own Poisson rate until a geometric dropout (BG/NBD's story)."""
    rng = np.random.default_rng(seed)
    h = History()
    for i in range(n):
        rate, p_drop = rng.gamma(0.8, 1 / 20), rng.beta(1.0, 4.0)
        t = rng.uniform(0, days / 2)
        orders = [(t, float(rng.gamma(2, 20_000)))]
        while True:
            if rng.random() < p_drop:
                break
            t += rng.exponential(1 / rate)
            if t >= days:
                break
            orders.append((t, float(rng.gamma(2, 20_000))))
        h.orders[f"c{i:05d}"] = orders
    return h


def test_bgnbd_ranks_like_the_story():
    h = _shop(3000, 400)
    s = summarize(h, 400.0)
    bg = fit_bgnbd(s.x, s.t_x, s.T)
    assert 0 < bg.r < 5 and bg.a > 0 and bg.b > 0
    p = bg.p_any_purchase(90, s.x, s.t_x, s.T)
    assert np.all((0 <= p) & (p <= 1))
    e = bg.expected_purchases(90, s.x, s.t_x, s.T)
    assert np.all(e >= 0) and np.all(np.isfinite(e))


def test_time_split_classifier_is_validated_on_held_out_customers():
    h = _shop(3000, 400, seed=1)
    m = M.fit(h, now=400.0)
    assert m.kind == "classifier" and set(m.heads) == {30, 90}
    val = m.metrics["validation"]["90"]
    assert val["auc"] > 0.6 and len(val["deciles"]) == 10
    assert abs(val["predicted_rate"] - val["observed_rate"]) < 0.05  # calibrated on average
    again = M.PurchaseModel.from_params(m.to_params(), m.metrics)  # JSON round trip scores the same
    s = summarize(h, 400.0)
    assert np.allclose(again.score(s).p90, m.score(s).p90)


def test_too_little_history_falls_back_to_bgnbd_and_says_why():
    h = _shop(300, 30, seed=2)
    m = M.fit(h, now=30.0)
    assert m.kind == "bgnbd" and "days" in m.metrics["fallback_reason"]
    sc = m.score(summarize(h, 30.0))
    assert np.all(sc.p30 <= sc.p90) and np.all(sc.expected_revenue_90d >= 0)


def test_behaviour_since_the_last_order_is_a_feature():
    h = History(orders={"a": [(10.0, 1000.0)], "b": [(10.0, 1000.0)]})
    s = summarize(h, 20.0, {"a": Activity(views=5, cart_adds=2, visits=3, last_seen_days=19.0)})
    assert list(s.views) == [5, 0] and list(s.days_since_seen) == [1.0, 10.0]
