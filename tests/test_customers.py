"""Customer segments on the real chDB + Postgres: fitting, versions, real-time scoring, moves,
the audience selector, and grounded Q&A scoped to exactly the customer or segment asked about."""
import json

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command

from customers import selectors, services
from customers.models import CustomerProfile, SegmentMove
from tenants.models import AuditEntry
from tests.customers_support import cancel, behaviour, orders, shop_population

GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent"


@pytest.fixture
def population(shop):
    return shop_population(shop)


def test_fit_names_segments_by_value_and_is_versioned_and_audited(shop, population, owner):
    cm = services.model_fit(client=shop, actor=owner)
    assert cm.version == 1 and cm.params["component_segments"]
    seg = {p.customer_key: p.segment for p in CustomerProfile.objects.filter(client=shop)}
    assert all(seg[k] == "vip" for k in population["vip"])
    assert all(seg[k] == "dormant" for k in population["dormant"])
    assert all(seg[k] in ("low", "mid") for k in population["low"])
    # each profile carries soft membership that sums to ~1 and names its model version
    p = CustomerProfile.objects.get(client=shop, customer_key="vip00")
    assert abs(sum(p.probabilities.values()) - 1) < 0.01 and p.model_version == 1
    assert SegmentMove.objects.filter(client=shop, reason="refit").count() == 24  # everyone is new
    assert AuditEntry.objects.filter(client=shop, action="customers.model_fit").exists()
    cm2 = services.model_fit(client=shop)
    assert cm2.version == 2
    # nobody changed: a refit on the same data records no move
    assert SegmentMove.objects.filter(client=shop).count() == 24


def test_rfm_counts_cancellations(shop, population):
    orders(shop, "canceller", count=3, amount=50_000, last_days_ago=2)
    cancel(shop, "canceller", "canceller-0", 50_000)
    services.model_fit(client=shop)
    p = selectors.profile_get(client=shop, customer_key="canceller")
    assert (p.frequency, p.monetary, p.recency_days) == (2, 100_000, 2)


def test_guest_orders_belong_to_the_member_who_later_logged_in(shop, population):
    visitor = orders(shop, None, count=2, amount=20_000, last_days_ago=3, prefix="guestorder")
    services.model_fit(client=shop)
    assert not CustomerProfile.objects.filter(client=shop, customer_key=str(visitor)).exists()  # guests off
    behaviour(shop, "member7", 10)  # another browser; nothing links it yet
    orders(shop, "member7", count=1, amount=5_000, last_days_ago=1, visitor=visitor)
    services.score_customers(client=shop, keys=["member7"])
    assert selectors.profile_get(client=shop, customer_key="member7").frequency == 3


def test_guests_count_when_the_client_includes_them(shop, population):
    conf = selectors.settings_for(shop)
    conf.include_guests = True
    conf.save()
    visitor = orders(shop, None, count=2, amount=20_000, last_days_ago=3, prefix="g")
    services.model_fit(client=shop)
    assert selectors.profile_get(client=shop, customer_key=str(visitor)).frequency == 2


def test_a_new_order_moves_a_customer_with_the_stored_model(shop, population):
    services.model_fit(client=shop)
    assert selectors.profile_get(client=shop, customer_key="sleep00").segment == "dormant"
    orders(shop, "sleep00", count=14, amount=320_000, last_days_ago=0, gap_days=1, prefix="sleep00-new")
    result = services.score_customers(client=shop, keys=["sleep00"])
    assert result == {"scored": 1, "moved": 1}
    p = selectors.profile_get(client=shop, customer_key="sleep00")
    assert p.segment == "vip" and p.model_version == 1
    move = SegmentMove.objects.get(client=shop, customer_key="sleep00", reason="order")
    assert (move.from_segment, move.to_segment, move.model_version) == ("dormant", "vip", 1)
    assert move.details["before"]["f"] == 2 and move.details["after"]["f"] == 16
    # scoring again with nothing new is a no-op (tasks may be retried)
    assert services.score_customers(client=shop, keys=["sleep00"]) == {"scored": 1, "moved": 0}


def test_segment_selector_for_audiences(shop, other_shop, population):
    shop_population(other_shop, prefix="o-")
    services.model_fit(client=shop)
    services.model_fit(client=other_shop)
    vip = selectors.customer_keys_in_segment(client=shop, segment_name="vip")
    assert vip == sorted(population["vip"])
    assert selectors.customer_keys_in_segment(client=shop, segment_name="우수 VIP") == vip
    assert selectors.customer_keys_in_segment(client=shop, segment_name="nope") == []
    assert all(k.startswith("o-") for k in selectors.customer_keys_in_segment(client=other_shop, segment_name="vip"))


def test_too_few_customers_is_reported(shop):
    orders(shop, "only", count=1, amount=1000, last_days_ago=1)
    with pytest.raises(services.NotEnoughCustomers):
        services.model_fit(client=shop)


# --- grounded Q&A ---------------------------------------------------------------------------------

def test_question_about_one_customer_uses_only_that_customers_data(shop, population):
    services.model_fit(client=shop)
    ans = services.answer_question(client=shop, question="고객 mid03은 어떤 고객이야?")
    p = selectors.profile_get(client=shop, customer_key="mid03")
    assert ans["intent"]["kind"] == "customer" and ans["intent"]["customer_key"] == "mid03"
    assert f"{p.monetary:,}원" in ans["answer"] and f"{p.frequency}회" in ans["answer"]
    others = [k for ks in population.values() for k in ks if k != "mid03"]
    assert not any(k in ans["answer"] or k in json.dumps(ans["facts"]) for k in others)
    assert ans["facts"]["customer_key"] == "mid03"


def test_vip_question_is_answered_from_vip_statistics(shop, population):
    services.model_fit(client=shop)
    ans = services.answer_question(client=shop, question="VIP 고객들의 특징은?")
    vip = CustomerProfile.objects.filter(client=shop, segment="vip")
    n = vip.count()
    mean_m = sum(p.monetary for p in vip) / n
    assert ans["facts"]["customers"] == n and ans["facts"]["segments"] == ["vip"]
    assert f"{n:,}명" in ans["answer"] and f"{round(mean_m):,}원" in ans["answer"]


def test_dormant_customers_who_recently_carted(shop, population):
    services.model_fit(client=shop)
    behaviour(shop, "sleep01", 41, days_ago=2)
    behaviour(shop, "sleep02", 41, days_ago=30)   # outside the default 7 days
    behaviour(shop, "vip01", 41, days_ago=1)      # carted but not dormant
    ans = services.answer_question(client=shop, question="휴면 고객 중 최근 장바구니에 담은 사람")
    assert ans["facts"]["customer_keys"] == ["sleep01"]
    assert "sleep01" in ans["answer"] and "vip01" not in ans["answer"] and "sleep02" not in ans["answer"]


def test_unknown_customer_and_off_topic_questions(shop, population):
    services.model_fit(client=shop)
    assert "주문 기록이 없습니다" in services.answer_question(client=shop, question="고객 ghost99 알려줘")["answer"]
    assert services.answer_question(client=shop, question="날씨 어때")["intent"]["kind"] == "unknown"


def _gemini(text):
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP",
                            "index": 0}], "modelVersion": "gemini-3.5-flash"}


def test_gemini_may_reword_but_never_change_numbers(shop, population, settings):
    settings.GEMINI_API_KEY = "test-key"
    services.model_fit(client=shop)
    template = services.answer_question(client=shop, question="고객 vip02은 어떤 고객이야?")["answer"]
    p = selectors.profile_get(client=shop, customer_key="vip02")
    good = f"vip02 고객은 우수 VIP입니다. 순 구매액은 {p.monetary:,}원, 주문은 {p.frequency}회입니다."
    bad = f"vip02 고객은 우수 VIP입니다. 순 구매액은 {p.monetary * 2:,}원입니다."
    with respx.mock:
        route = respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=_gemini(good)))
        ans = services.answer_question(client=shop, question="고객 vip02은 어떤 고객이야?", engine="gemini")
        assert route.called and ans["worded_by"] == "gemini" and ans["answer"] == good
        sent = json.loads(route.calls[0].request.content)
        assert "vip01" not in json.dumps(sent, ensure_ascii=False)  # the model only sees this customer's facts
    with respx.mock:
        respx.post(GEMINI_URL).mock(return_value=httpx.Response(200, json=_gemini(bad)))
        ans = services.answer_question(client=shop, question="고객 vip02은 어떤 고객이야?", engine="gemini")
        assert ans["worded_by"] == "template" and ans["answer"] == template
    with respx.mock:
        respx.post(GEMINI_URL).mock(return_value=httpx.Response(503))
        ans = services.answer_question(client=shop, question="고객 vip02은 어떤 고객이야?", engine="gemini")
        assert ans["answer"] == template


# --- command line -----------------------------------------------------------------------------------

def test_segment_customers_command_prints_json(shop, population, capsys):
    call_command("segment_customers", "--client-id", str(shop.pk), "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["model"]["version"] == 1
    rows = {c["customer_id"]: c for c in out["customers"]}
    assert set(rows) == {k for ks in population.values() for k in ks}
    vip = rows["vip00"]
    assert vip["segment"] == "vip" and set(vip) >= {"recency", "frequency", "monetary", "probabilities"}
    assert sum(s["customers"] for s in out["summary"]) == 24


def test_segment_customers_command_rejects_a_bad_client(db, capsys):
    with pytest.raises(CommandError, match="찾을 수 없습니다"):
        call_command("segment_customers", "--client-id", "999999", "--format", "json")


def test_segments_are_mirrored_to_clickhouse_for_event_queries(shop, other_shop, population,
                                                               django_capture_on_commit_callbacks):
    from events import clickhouse

    shop_population(other_shop, prefix="o-")
    with django_capture_on_commit_callbacks(execute=True):  # the mirror runs after the commit
        services.model_fit(client=shop)
        services.model_fit(client=other_shop)
    sql = ("SELECT customer_key FROM customer_segment FINAL WHERE client_id = {c:Int32} AND segment = 'vip' "
           "ORDER BY customer_key")
    assert [r[0] for r in clickhouse.query(sql, {"c": shop.pk}).rows] == sorted(population["vip"])
    orders(shop, "sleep00", count=14, amount=320_000, last_days_ago=0, gap_days=1, prefix="sleep00-new")
    with django_capture_on_commit_callbacks(execute=True):
        services.score_customers(client=shop, keys=["sleep00"])
    assert "sleep00" in [r[0] for r in clickhouse.query(sql, {"c": shop.pk}).rows]
