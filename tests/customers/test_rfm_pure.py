"""Pure RFM / GMM / Q&A logic, no database: features, naming rule, pickle-free scoring, intents."""
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from customers.hooks import orders_by_client
from customers.rfm import qa
from customers.rfm.features import OrderAggregate, Scaler, log_transform, rfm_from_aggregate
from customers.rfm.model import NotEnoughCustomers, SegmentModel, fit, name_components, segment_summary

NOW = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)


def population(seed=1, n=400):
    rng = np.random.default_rng(seed)
    groups = [
        np.c_[rng.integers(0, 10, n // 4), rng.integers(8, 20, n // 4), rng.lognormal(13, .3, n // 4)],   # vip
        np.c_[rng.integers(10, 60, n // 4), rng.integers(2, 5, n // 4), rng.lognormal(11, .3, n // 4)],   # mid
        np.c_[rng.integers(10, 60, n // 4), np.ones(n // 4), rng.lognormal(9, .3, n // 4)],              # low
        np.c_[rng.integers(250, 400, n // 4), rng.integers(1, 3, n // 4), rng.lognormal(10.5, .3, n // 4)],  # dormant
    ]
    return np.vstack(groups)


def test_rfm_nets_out_cancellations_and_never_goes_negative():
    agg = OrderAggregate("m1", orders=3, cancelled=1, amount=90_000, cancelled_amount=30_000,
                         last_order_at=NOW - timedelta(days=5, hours=3))
    r = rfm_from_aggregate(agg, as_of=NOW)
    assert (r.recency, r.frequency, r.monetary) == (5, 2, 60_000)
    all_cancelled = OrderAggregate("m2", orders=1, cancelled=2, amount=10, cancelled_amount=99,
                                   last_order_at=NOW + timedelta(hours=1))
    r = rfm_from_aggregate(all_cancelled, as_of=NOW)
    assert (r.recency, r.frequency, r.monetary) == (0, 0, 0.0)


def test_log_and_scale_are_invertible_and_handle_constant_columns():
    raw = np.array([[1, 1, 100.0], [10, 1, 1000.0], [100, 1, 10000.0]])
    x = log_transform(raw)
    s = Scaler.fit(x)
    z = s.transform(x)
    assert np.allclose(z[:, 1], 0)  # everyone bought once: a constant column stays at zero
    assert np.allclose(s.inverse(z), x)


def test_naming_rule_is_value_ordered_and_deterministic():
    # columns: z(recency), z(frequency), z(monetary)
    means = np.array([[0.0, 0.2, 0.1], [-1.0, 2.0, 2.0], [2.0, -0.5, -0.3], [0.1, -0.8, -1.2]])
    assert name_components(means) == ["mid", "vip", "dormant", "low"]
    assert name_components(means[:2]) == ["dormant", "vip"]  # k=2: the best and the rest
    six = np.vstack([means, [[0.0, 0.0, 0.0], [0.3, -1.0, -1.5]]])
    names = name_components(six)
    assert names.count("vip") == 1 and names.count("dormant") == 1 and set(names) == {"vip", "mid", "low", "dormant"}


def test_fit_finds_the_planted_groups_and_names_them():
    raw = population()
    model = fit(raw)
    segs = [s for s, _ in model.assign(raw)]
    n = len(raw) // 4
    assert segs[:n].count("vip") > 0.9 * n
    assert segs[3 * n:].count("dormant") > 0.9 * n
    assert set(segs[n:3 * n]) <= {"mid", "low"}
    summary = {r["segment"]: r for r in segment_summary(raw, segs)}
    assert summary["vip"]["value_share"] > 0.5  # vip spend is e^13 vs e^9..e^11
    assert abs(sum(r["customer_share"] for r in summary.values()) - 1) < 1e-6


def test_stored_params_score_exactly_like_sklearn_without_pickle():
    import json

    raw = population(seed=3)
    model = fit(raw)
    params = json.loads(json.dumps(model.to_params()))  # what the database keeps
    again = SegmentModel.from_params(params)
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(n_components=model.n_components, covariance_type="full")
    gm.weights_ = np.array(model.weights)
    gm.means_ = np.array(model.means)
    gm.covariances_ = np.array(model.covariances)
    gm.precisions_cholesky_ = np.array([np.linalg.cholesky(np.linalg.inv(c)) for c in gm.covariances_])
    z = model.scaler.transform(log_transform(raw))
    assert np.allclose(again.component_proba(raw), gm.predict_proba(z), atol=1e-8)
    probs = again.segment_proba(raw)
    assert np.allclose(probs.sum(axis=1), 1)


def test_bic_selection_stays_in_range_and_is_reproducible():
    raw = population(seed=5)
    a, b = fit(raw, n_components=0), fit(raw, n_components=0)
    assert 2 <= a.n_components <= 6 and set(a.metrics["bic"]) == {"2", "3", "4", "5", "6"}
    assert a.to_params() == b.to_params()  # fixed random_state: same data, same model


def test_tampered_params_are_refused():
    model = fit(population())
    params = model.to_params()
    params["component_segments"][0] = "__import__('os')"
    with pytest.raises(ValueError):
        SegmentModel.from_params(params)


def test_too_few_customers():
    with pytest.raises(NotEnoughCustomers):
        fit(np.ones((3, 3)))


@pytest.mark.parametrize("question,kind,key,segments", [
    ("VIP 고객들의 특징은?", "segment", None, ("vip",)),
    ("고객 tester01은 어떤 고객이야?", "customer", "tester01", ()),
    ("14305 고객은 어떤 고객?", "customer", "14305", ()),
    ("member0003 구매 금액 알려줘", "customer", "member0003", ()),
    ("휴면 이탈 고객 몇 명이야", "segment", None, ("dormant",)),
    ("일반 고객의 평균 구매액", "segment", None, ("mid", "low")),
    ("중고가치 고객 특징", "segment", None, ("mid",)),
    ("세그먼트 분포 보여줘", "overview", None, ()),
    ("최근 30일 동안 우수 고객", "segment", None, ("vip",)),
    ("오늘 날씨 어때", "unknown", None, ()),
])
def test_intent_extraction(question, kind, key, segments):
    intent = qa.extract_intent(question)
    assert (intent.kind, intent.customer_key, intent.segments) == (kind, key, segments)


def test_behaviour_scope_and_period():
    intent = qa.extract_intent("휴면 고객 중 최근 장바구니에 담은 사람")
    assert intent.segments == ("dormant",) and intent.behaviour == qa.Behaviour(41, 7)
    assert qa.extract_intent("VIP 중 최근 2주 관심상품 담은 고객").behaviour == qa.Behaviour(51, 14)


def test_client_segment_names_are_understood():
    assert qa.extract_intent("골드 회원 특징", names={"vip": "골드"}).segments == ("vip",)


def test_rewording_check_rejects_new_numbers():
    t = "고객 a1은(는) '우수 VIP' 고객입니다 (소속 확률 91.0%). 순 주문 5회, 순 구매액 312,000원입니다."
    assert qa.rewording_is_faithful(t, "a1 고객은 우수 VIP로, 5회 주문해 312,000원을 썼습니다.")
    assert not qa.rewording_is_faithful(t, "a1 고객은 6회 주문해 312,000원을 썼습니다.")
    assert not qa.rewording_is_faithful(t, "")


def test_hook_groups_order_events_by_client_and_ignores_the_rest():
    recs = [
        {"client_id": 1, "event_type": 62, "login_id": "m1", "uuid": "u1"},
        {"client_id": 1, "event_type": 62, "login_id": "m1", "uuid": "u1"},
        {"client_id": 1, "event_type": 63, "login_id": None, "uuid": "u2"},
        {"client_id": 2, "event_type": 62, "login_id": None, "uuid": "u3"},
        {"client_id": 1, "event_type": 82, "login_id": "m9", "uuid": "u9"},
    ]
    assert orders_by_client(recs) == {"1": {"login_ids": ["m1"], "uuids": ["u2"]},
                                      "2": {"login_ids": [], "uuids": ["u3"]}}
