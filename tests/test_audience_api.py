"""The builder's API on real chDB: live size with members and a role-masked sample, cached by
IR hash, field errors, contradictions, sentence -> rules, segment CRUD with roles, 404 for another
client's segment. Also the two compiler fixes (one active-visitor rule, exact truncation)."""
import pytest
from django.core.cache import cache

from insights.ask import services
from insights.segments import services as segments
from insights.models import Segment
from tenants.models import AuditEntry
from tests.audience_support import CART_NO_ORDER, MOBILE_P2, TODAY, days_ago, put, shop_story, visitor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def size(api, shop, rules, **extra):
    return api.post(f"/api/v1/clients/{shop.pk}/audiences/size", {"rules": rules, "today": TODAY.isoformat(),
                                                                  **extra}, content_type="application/json")


def test_live_size_counts_the_audience_and_masks_members_for_viewers(shop, marketer, viewer, login):
    story = shop_story(shop)
    body = size(login(marketer), shop, CART_NO_ORDER).json()
    assert body["size"] == 3 and body["members"] == 0
    assert sorted(s["uuid"] for s in body["sample"]) == story["carters"]
    assert body["window"] == {"start": "2025-08-01", "end": "2025-08-08"}
    assert "장바구니에 담았지만 주문하지 않음" in body["description"]
    assert body["cached"] is False

    buyers = {"op": "and", "items": [{"filter": "total_spend", "params": {"min_amount": 50000, "days": 7}}]}
    body = size(login(marketer), shop, buyers).json()
    assert body["size"] == 2 and body["members"] == 2
    assert sorted(s["member_id"] for s in body["sample"]) == ["member0001", "member0002"]
    body = size(login(viewer), shop, buyers).json()
    assert body["cached"] is True and body["pii_masked"] is True
    assert sorted(s["member_id"] for s in body["sample"]) == ["me******01", "me******02"]


@pytest.mark.parametrize("rules, want", [
    (MOBILE_P2, "browsers"),
    ({"op": "and", "items": [{"filter": "aov", "params": {"min_amount": 50000, "max_amount": 50000}}]}, "buyers"),
    ({"op": "and", "items": [{"filter": "aov", "params": {"min_amount": 50001}}]}, None),
    ({"op": "and", "items": [{"filter": "bought_category", "params": {"category_ids": ["1"]}}]}, "buyers"),
    ({"op": "and", "items": [{"filter": "order_once", "params": {"min_amount": 50000}}]}, "buyers"),
    ({"op": "and", "items": [{"filter": "inactive", "params": {"days": 30, "lookback": 90}}]}, "old"),
    ({"op": "and", "items": [{"filter": "member"}]}, "buyers"),
    # OR of two events in one scan (event_type IN (41, 51)), the same answer as the union
    ({"op": "or", "items": [{"filter": "wishlisted", "params": {"days": 7}},
                            {"filter": "cart_added", "params": {"days": 7}}]}, ("carters", "buyers")),
    ({"op": "and", "items": [{"filter": "lapsed_buyer", "params": {"days": 2, "lookback": 7}}]}, "buyers"),
    ({"op": "and", "items": [{"filter": "lapsed_buyer", "params": {"days": 4, "lookback": 7}}]}, None),
    # the same as the one-pass "lapsed" form, written as two rules: same answer
    ({"op": "and", "items": [{"filter": "cart_added", "params": {"days": 7}},
                             {"filter": "cart_added", "params": {"days": 2}, "not": True}]}, "buyers"),
    ({"op": "or", "not": False, "items": [{"filter": "viewed_product", "params": {"product_ids": ["2"]}},
                                          {"filter": "order_count", "params": {}}]}, ("browsers", "buyers")),
])
def test_filters_select_the_right_visitors(shop, marketer, login, rules, want):
    story = shop_story(shop)
    body = size(login(marketer), shop, rules).json()
    names = want if isinstance(want, tuple) else ((want,) if want else ())
    expected = sorted(u for n in names for u in story[n])
    assert sorted(s["uuid"] for s in body["sample"]) == expected and body["size"] == len(expected)


def test_cache_is_by_ir_and_expires(shop, marketer, login):
    shop_story(shop)
    api = login(marketer)
    assert size(api, shop, CART_NO_ORDER).json()["size"] == 3
    put(shop, [(visitor(), 41, days_ago(1), {"product_id": "9"})])
    again = size(api, shop, CART_NO_ORDER).json()
    assert again["cached"] is True and again["size"] == 3  # reused for 5 minutes
    cache.clear()  # as if the 5 minutes passed
    assert size(api, shop, CART_NO_ORDER).json()["size"] == 4


def test_bad_rules_answer_field_errors_and_reasons(shop, viewer, login):
    api = login(viewer)
    res = size(api, shop, {"op": "and", "items": [{"filter": "viewed_product", "params": {"days": 400}}]})
    assert res.status_code == 400 and res.json()["fields"] == {"items.0.params.days": "365 이하로 입력해 주세요."}
    res = size(api, shop, {"op": "and", "items": []})
    assert res.status_code == 400 and "필터를 하나 이상" in res.json()["detail"]
    res = size(api, shop, {"op": "and", "items": [{"filter": "sms_consent"}]})
    assert res.status_code == 422 and "Cafe24 연결" in res.json()["detail"]
    body = size(api, shop, {"op": "and", "items": [{"filter": "order_count", "params": {"min_count": 5}},
                                                   {"filter": "order_count", "params": {"max_count": 2}}]}).json()
    assert body["size"] == 0 and body["message"].startswith("조건에 맞는 방문자가 없습니다 (2025-07-09 ~ 2025-08-08).")
    assert "횟수 범위가 겹치지 않습니다" in body["message"]


def test_sentence_becomes_rules(shop, viewer, login):
    res = login(viewer).post(f"/api/v1/clients/{shop.pk}/audiences/parse",
                             {"question": "최근 30일 장바구니에 담았지만 구매하지 않은 사람", "engine": "offline"},
                             content_type="application/json")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["rules"]["items"] and "장바구니" in body["description"]
    res = login(viewer).post(f"/api/v1/clients/{shop.pk}/audiences/parse",
                             {"question": "어제 매출은?", "engine": "offline"}, content_type="application/json")
    assert res.status_code == 400 and "집계" in res.json()["detail"]


def test_filter_catalog_api(shop, viewer, login):
    body = login(viewer).get(f"/api/v1/clients/{shop.pk}/audiences/filters").json()
    assert len(body["filters"]) >= 30 and len(body["categories"]) == 4


def test_viewer_cannot_save_marketer_can_and_it_is_audited(shop, marketer, viewer, login):
    url = f"/api/v1/clients/{shop.pk}/segments/"
    res = login(viewer).post(url, {"name": "v", "rules": CART_NO_ORDER}, content_type="application/json")
    assert res.status_code == 403
    res = login(marketer).post(url, {"name": "장바구니 이탈", "rules": CART_NO_ORDER},
                               content_type="application/json")
    assert res.status_code == 201, res.content
    seg = Segment.objects.get(client=shop)
    assert seg.periodic_task is not None and seg.schedule == "0 6 * * *"  # refreshed daily by default
    assert AuditEntry.objects.filter(client=shop, action="segment.create").exists()
    assert login(viewer).post(f"{url}{seg.pk}/refresh").status_code == 403
    res = login(marketer).post(url, {"name": "장바구니 이탈", "rules": CART_NO_ORDER}, content_type="application/json")
    assert res.status_code == 409
    res = login(marketer).post(url, {"name": "x", "rules": {"op": "and", "items": [
        {"filter": "viewed_product", "params": {"min_count": 0}}]}}, content_type="application/json")
    assert res.status_code == 400 and "items.0.params.min_count" in res.json()["fields"]


def test_another_clients_segment_is_404(shop, other_shop, marketer, login):
    seg = segments.segment_create(client=other_shop, name="남의 것", rules=CART_NO_ORDER)
    api = login(marketer)
    base = f"/api/v1/clients/{shop.pk}/segments/{seg.pk}"
    for url in (base, f"{base}/snapshots", f"{base}/changes", f"{base}/export?as=csv"):
        assert api.get(url).status_code == 404, url
    assert api.post(f"{base}/refresh").status_code == 404
    assert api.post(f"{base}/webhook").status_code == 404
    assert api.delete(base).status_code == 404
    assert api.get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").status_code == 404


# --- compiler fixes -----------------------------------------------------------------------

def test_one_active_visitor_rule_with_and_without_a_field_filter(shop):
    """A visitor whose only row in the window is a view's *_end (the view began before the
    window) is active for "방문자 수" and for "mobile visitors" alike."""
    late = visitor()
    put(shop, [(late, 83, days_ago(3), {"product_id": "1", "device_type": "mobile"}),
               (visitor(), 82, days_ago(3), {"product_id": "1", "device_type": "mobile"})])
    plain = {"kind": "B", "aggregate": {"metric": "visitors"}}
    mobile = {"kind": "B", "aggregate": {"metric": "visitors", "event": {"event": "any_event",
                                                                        "filters": {"device_type": ["mobile"]}}}}
    a = services.ask_question(client=shop, ir=plain, today=TODAY)["rows"][0][0]
    b = services.ask_question(client=shop, ir=mobile, today=TODAY)["rows"][0][0]
    aud = {"kind": "A", "audience": {"type": "event", "event": "any_event", "filters": {"device_type": ["mobile"]}}}
    c = len(services.ask_question(client=shop, ir=aud, today=TODAY)["rows"])
    assert a == b == c == 2


def test_truncation_is_exact_at_a_small_limit_even_with_a_session_row_cap(shop, settings):
    put(shop, [(visitor(), 82, days_ago(2), {"product_id": "1"}) for _ in range(30)])
    # a session cap below the limit with 'break' used to stop early at a block boundary
    settings.INSIGHTS_QUERY_SETTINGS = {"max_result_rows": 3, "result_overflow_mode": "break"}
    ir = {"kind": "A", "audience": {"type": "event", "event": "product_view"}}
    ans = services.ask_question(client=shop, ir=ir, today=TODAY, limit=5)
    assert len(ans["rows"]) == 5 and ans["truncated"] is True
    ans = services.ask_question(client=shop, ir=ir, today=TODAY, limit=30)
    assert len(ans["rows"]) == 30 and ans["truncated"] is False


def test_rfm_segment_filter_needs_scores_then_selects_members_and_guests(shop, marketer, login):
    from django.utils import timezone

    from customers.models import CustomerModel, CustomerProfile

    story = shop_story(shop)
    rules = {"op": "and", "items": [{"filter": "rfm_segment", "params": {"segment": "vip"}}]}
    res = size(login(marketer), shop, rules)
    assert res.status_code == 422 and "RFM" in res.json()["detail"]

    now = timezone.now()
    CustomerModel.objects.create(client=shop, version=1, as_of=now, params={})
    # one member (by login id) and one guest (by visitor id) are VIP; a browser is "low"
    for key, seg, member in (("member0001", "vip", True), (story["carters"][0], "vip", False),
                             (story["browsers"][0], "low", False)):
        CustomerProfile.objects.create(client=shop, customer_key=key, is_member=member, recency_days=1, frequency=1,
                                       monetary=1, last_order_at=now, segment=seg, model_version=1)
    body = size(login(marketer), shop, rules).json()
    assert body["size"] == 2 and body["members"] == 1
    assert story["carters"][0] in {s["uuid"] for s in body["sample"]}
    assert "RFM 세그먼트 'vip'" in body["description"]
    res = size(login(marketer), shop, {"op": "and", "items": [{"filter": "rfm_segment", "params": {"segment": "dormant"}}]})
    assert res.status_code == 422 and "속한 고객이 없습니다" in res.json()["detail"]
