"""The 고객 pages and API: sizes, value share, chart data, moves, Q&A, customer page, roles, 404s."""

import pytest

from customers import selectors, services
from customers.models import CustomerProfile
from tenants.models import AuditEntry
from tests.customers_support import orders, shop_population


@pytest.fixture
def fitted(shop):
    groups = shop_population(shop)
    services.model_fit(client=shop)
    return groups


def test_overview_shows_sizes_value_share_and_chart_data(login, viewer, shop, fitted):
    res = login(viewer).get(f"/c/{shop.slug}/customers/")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'data-testid="segment-sizes"' in html and "우수 VIP" in html and "휴면 이탈" in html
    vip = next(r for r in selectors.segment_overview(client=shop) if r["segment"] == "vip")
    assert f"{vip['value_share'] * 100:.1f}%" in html
    chart = res.context["chart"]
    assert {s["code"] for s in chart["segments"]} == {"vip", "mid", "low", "dormant"}
    assert sum(chart["moves"]["series"][c][-1] for c in chart["moves"]["series"]) == 24  # today's first fit
    assert 'id="customers-chart-data"' in html
    # viewers see no refit button and no settings form
    assert 'data-testid="refit"' not in html and "seg-settings-title" not in html


def test_list_filters_by_segment_and_pages(login, viewer, shop, fitted):
    res = login(viewer).get(f"/c/{shop.slug}/customers/?segment=vip")
    keys = [p.customer_key for p in res.context["page_obj"]]
    assert sorted(keys) == sorted(fitted["vip"])


def test_question_on_the_page(login, marketer, viewer, shop, fitted):
    res = login(marketer).get(f"/c/{shop.slug}/customers/", {"q": "고객 low02은 어떤 고객이야?"})
    answer = res.context["answer"]["answer"]
    assert "low02" in answer and 'data-testid="customer-answer"' in res.content.decode()
    # a viewer gets the same answer about a masked member id (issue 17, finding 4; tests/test_masking.py)
    res = login(viewer).get(f"/c/{shop.slug}/customers/", {"q": "고객 low02은 어떤 고객이야?"})
    assert "lo*02" in res.context["answer"]["answer"] and "low02" not in res.context["answer"]["answer"]


def test_customer_page_shows_rfm_probabilities_history_and_moves(login, viewer, shop, fitted):
    res = login(viewer).get(f"/c/{shop.slug}/customers/c/vip01/")
    assert res.status_code == 200
    html = res.content.decode()
    p = CustomerProfile.objects.get(client=shop, customer_key="vip01")
    assert f"{p.monetary:,}원" in html and f"{p.frequency}회" in html
    assert len(res.context["history"]) == p.frequency
    assert 'data-testid="customer-probabilities"' in html and "우수 VIP" in html
    assert res.context["moves"][0].reason == "refit"


def test_another_clients_customer_is_404(login, viewer, shop, other_shop, fitted):
    orders(other_shop, "theirs", count=1, amount=1000, last_days_ago=1)
    api = login(viewer)
    assert api.get(f"/c/{shop.slug}/customers/c/theirs/").status_code == 404
    assert api.get(f"/c/{shop.slug}/customers/c/nobody/").status_code == 404
    assert api.get(f"/api/v1/clients/{shop.pk}/customers/c/theirs").status_code == 404
    assert api.get(f"/api/v1/clients/{other_shop.pk}/customers/segments").status_code == 404


def test_refit_needs_a_marketer_and_is_audited(login, viewer, marketer, shop, fitted, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker path is tested in test_customers_realtime
    from untitle.celery import app

    app.conf.task_always_eager = True
    try:
        assert login(viewer).post(f"/c/{shop.slug}/customers/").status_code == 403
        res = login(marketer).post(f"/api/v1/clients/{shop.pk}/customers/refit")
        assert res.status_code == 202
    finally:
        app.conf.task_always_eager = False
    assert selectors.latest_model(client=shop).version == 2
    assert AuditEntry.objects.filter(client=shop, action="customers.refit_requested").exists()


def test_settings_owner_only_validated_and_names_apply(login, owner, marketer, shop, fitted):
    url = f"/c/{shop.slug}/customers/settings/"
    assert login(marketer).post(url, {"n_components": "4"}).status_code == 403
    api = login(owner)
    res = api.post(url, {"n_components": "9"}, follow=True)
    assert "2~6" in res.content.decode()
    api.post(url, {"n_components": "0", "name_vip": "골드", "include_guests": "on"})
    conf = selectors.settings_for(shop)
    assert conf.n_components == 0 and conf.include_guests and conf.segment_names == {"vip": "골드"}
    assert selectors.customer_keys_in_segment(client=shop, segment_name="골드") == sorted(fitted["vip"])
    ans = services.answer_question(client=shop, question="골드 고객 특징")
    assert ans["facts"]["segments"] == ["vip"] and "골드" in ans["answer"]


def test_api_segments_customer_and_ask(login, marketer, viewer, shop, fitted):
    body = login(marketer).get(f"/api/v1/clients/{shop.pk}/customers/segments?members=dormant").json()
    assert body["model"]["version"] == 1 and body["members"] == sorted(fitted["dormant"])
    api = login(viewer)  # a viewer reads the same, member ids masked (issue 17, finding 4)
    body = api.get(f"/api/v1/clients/{shop.pk}/customers/segments?members=dormant").json()
    assert body["members"] == sorted(k[:2] + "*" * (len(k) - 4) + k[-2:] for k in fitted["dormant"])
    assert sum(s["customers"] for s in body["segments"]) == 24
    c = api.get(f"/api/v1/clients/{shop.pk}/customers/c/mid01").json()
    assert c["segment"] == "mid" or c["segment"] == "low"
    assert abs(sum(c["probabilities"].values()) - 1) < 0.01
    res = api.post(f"/api/v1/clients/{shop.pk}/customers/ask", {"question": "VIP 고객들의 특징은?"},
                   content_type="application/json")
    assert res.status_code == 200 and res.json()["intent"]["segments"] == ["vip"]
    bad = api.post(f"/api/v1/clients/{shop.pk}/customers/ask", {"question": ""}, content_type="application/json")
    assert bad.status_code == 400 and "질문을 입력해 주세요" in bad.json()["detail"]
