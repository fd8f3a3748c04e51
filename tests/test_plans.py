"""Campaign-plan recommendations end to end: service, caching, API, pages, CLI, feedback, drafts.

Gemini is faked at the HTTP layer (respx) with generateContent bodies; everything else is real
(Postgres, Redis cache, chDB for the shop size).
"""
import json
import uuid
from datetime import datetime, timezone
from io import StringIO

import httpx
import pytest
import respx
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from events import clickhouse
from plans import services
from plans.engine.schema import BANDS, CELLS, cell_key
from plans.models import PlanDraft, PlanFeedback, Recommendation
from tenants.models import AuditEntry
from tests.factories import make_client

pytestmark = pytest.mark.django_db

MODEL = "gemini-3.5-flash"
URL = f"https://generativelanguage.googleapis.com/v1beta/models/{MODEL}:generateContent"
DAY = "2026-11-05"
KEYS = [cell_key(b, c) for b, c in CELLS]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pet_shop(shop):
    shop.industry, shop.business_type, shop.region = "반려동물 용품", "온라인 쇼핑몰", "서울 마포구"
    shop.save()
    return shop


@pytest.fixture
def gemini(settings):
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_MODEL = MODEL
    return settings


def gbody(payload):
    return {
        "candidates": [{"content": {"parts": [{"text": json.dumps(payload, ensure_ascii=False)}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 1900, "candidatesTokenCount": 930, "totalTokenCount": 2950},
        "modelVersion": MODEL, "responseId": "planResp01",
    }


def assert_valid_six(payload):
    plans = payload["plans"]
    assert [p["key"] for p in plans] == KEYS
    for p in plans:
        lo, hi = BANDS[p["budget"]]
        assert lo <= p["cost"] <= hi and len(p["title"]) <= 30 and len(p["prize"]) <= 20
    for ch in ("online", "offline"):
        rois = [p["roi"] for p in plans if p["channel"] == ch]
        assert rois == sorted(rois, reverse=True)


def model_answer(shop, day=DAY):
    """A realistic model answer: the offline engine's valid set, reworded."""
    rec = services.recommend(client=shop, purpose="sales", on_date=day, engine="offline")
    answer = json.loads(json.dumps(rec.answer))
    answer["plans"][0]["title"] = "빼빼로데이 펫 간식 타임딜"
    answer["trends"]["industry"] = "반려 가구가 늘며 간식·용품 정기구매와 SNS 인증 이벤트의 반응이 커지고 있습니다."
    rec.delete()
    cache.clear()
    return answer


# --- service --------------------------------------------------------------------------------------

def test_offline_recommendation_has_trends_and_six_valid_plans(pet_shop):
    rec = services.recommend(client=pet_shop, purpose="매출 증대", on_date=DAY)
    payload = services.recommendation_payload(rec)
    assert rec.engine == "offline" and rec.purpose == "sales" and not rec.cache_hit
    assert_valid_six(payload)
    assert all(len(payload["trends"][k]) >= 40 for k in ("industry", "location", "season"))
    assert "블랙프라이데이" in payload["trends"]["season"]
    assert rec.profile["industry_key"] == "pets"
    assert set(rec.similar) == set(KEYS)


def test_shop_size_comes_from_its_own_events_only(pet_shop, other_shop):
    now = datetime.now(timezone.utc)
    cols = ["event_id", "client_id", "uuid", "event_type", "created_at", "order_id"]
    rows = [[uuid.uuid4(), pet_shop.pk, uuid.uuid4(), 1, now, None] for _ in range(7)]
    rows += [[uuid.uuid4(), pet_shop.pk, uuid.uuid4(), 62, now, f"o{i}"] for i in range(3)]
    rows += [[uuid.uuid4(), other_shop.pk, uuid.uuid4(), 1, now, None] for _ in range(50)]
    clickhouse.insert("event", rows, cols)
    rec = services.recommend(client=pet_shop, purpose="sales")
    assert rec.profile["visitors_30d"] == 10 and rec.profile["orders_30d"] == 3


def test_unknown_purpose_and_missing_profile_are_clear_messages(shop):
    with pytest.raises(services.PlanError) as exc:
        services.recommend(client=shop, purpose="sales")
    assert exc.value.status == 409 and "업종" in exc.value.message and exc.value.link.endswith("/settings/")
    shop.industry = "패션"
    shop.save()
    with pytest.raises(services.PlanError) as exc:
        services.recommend(client=shop, purpose="brand love")
    assert exc.value.status == 400 and "매출 증대" in exc.value.message
    with pytest.raises(services.PlanError):
        services.recommend(client=shop, purpose="sales", on_date="11/05/2026")


@respx.mock
def test_gemini_answer_is_shown_and_cached_for_the_next_ask(pet_shop, gemini):
    answer = model_answer(pet_shop)
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=gbody(answer)))
    first = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    assert first.engine == "gemini" and first.answer["plans"][0]["title"] == "빼빼로데이 펫 간식 타임딜"
    second = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    assert second.cache_hit and second.answer == first.answer and route.call_count == 1
    # another purpose is another answer
    services.recommend(client=pet_shop, purpose="revisit", on_date=DAY)
    assert route.call_count == 2


@respx.mock
def test_five_plans_then_out_of_band_cost_falls_back_to_the_validated_offline_set(pet_shop, gemini):
    answer = model_answer(pet_shop)
    five = dict(answer, plans=answer["plans"][:5])
    out_of_band = json.loads(json.dumps(answer))
    out_of_band["plans"][4]["cost"] = 7_500_000
    route = respx.post(URL).mock(side_effect=[httpx.Response(200, json=gbody(five)),
                                              httpx.Response(200, json=gbody(out_of_band))])
    rec = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    assert route.call_count == 2
    retry_text = json.loads(route.calls[1].request.content)["contents"][2]["parts"][0]["text"]
    assert "plans" in retry_text
    assert rec.engine == "offline" and "검증" in rec.fallback_reason
    assert_valid_six(services.recommendation_payload(rec))
    # a fallback is not cached: the next ask tries the model again
    respx.post(URL).mock(return_value=httpx.Response(200, json=gbody(answer)))
    assert services.recommend(client=pet_shop, purpose="sales", on_date=DAY).engine == "gemini"


@respx.mock
def test_rate_limited_model_answers_with_the_offline_engine(pet_shop, gemini):
    respx.post(URL).mock(return_value=httpx.Response(
        429, json={"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}))
    rec = services.recommend(client=pet_shop, purpose="awareness", on_date=DAY)
    assert rec.engine == "offline" and "한도" in rec.fallback_reason
    assert_valid_six(services.recommendation_payload(rec))


def test_campaign_results_invalidate_the_cached_answers_of_that_industry(pet_shop, other_shop):
    other_shop.industry = "패션"
    other_shop.save()
    services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    services.recommend(client=other_shop, purpose="sales", on_date=DAY)
    assert services.recommend(client=pet_shop, purpose="sales", on_date=DAY).cache_hit
    services.on_campaign_results("반려견 간식")     # same industry in other words
    assert not services.recommend(client=pet_shop, purpose="sales", on_date=DAY).cache_hit
    assert services.recommend(client=other_shop, purpose="sales", on_date=DAY).cache_hit
    services.on_campaign_results("여성의류")
    assert not services.recommend(client=other_shop, purpose="sales", on_date=DAY).cache_hit


def test_reask_avoids_shown_titles_and_is_stored_as_feedback(pet_shop, marketer):
    first = services.recommend(client=pet_shop, purpose="acquisition", on_date=DAY, user=marketer)
    again = services.plan_reask(client=pet_shop, recommendation=first, user=marketer)
    assert again.parent == first and not again.cache_hit
    old = {p["title"] for p in first.answer["plans"]}
    new = {p["title"] for p in again.answer["plans"]}
    assert len(old & new) <= 1
    fb = PlanFeedback.objects.get(recommendation=first)
    assert fb.kind == "reask" and fb.user == marketer


def test_choosing_a_plan_makes_a_prefilled_draft_and_results_feed_the_next_answer(
        pet_shop, marketer, django_capture_on_commit_callbacks):
    rec = services.recommend(client=pet_shop, purpose="sales", on_date=DAY, user=marketer)
    plan = rec.plan("medium-online")
    draft = services.plan_choose(client=pet_shop, recommendation=rec, plan_key="medium-online", user=marketer)
    assert (draft.name, draft.prize, draft.budget_krw) == (plan["title"], plan["prize"], plan["cost"])
    assert draft.predicted_roi == plan["roi"] and draft.actual_roi is None
    assert PlanFeedback.objects.filter(recommendation=rec, kind="chosen", plan_key="medium-online").exists()
    assert AuditEntry.objects.filter(client=pet_shop, action="plans.plan_chosen").exists()

    with pytest.raises(services.PlanError):
        services.plan_choose(client=pet_shop, recommendation=rec, plan_key="huge-online", user=marketer)

    assert services.recommend(client=pet_shop, purpose="sales", on_date=DAY).cache_hit
    with pytest.raises(services.PlanError):
        services.plan_draft_record_results(client=pet_shop, draft=draft, participants=10, cost=0, revenue=5)
    with pytest.raises(services.PlanError):
        services.plan_draft_record_results(client=pet_shop, draft=draft, participants=None, cost=10, revenue=5)
    with django_capture_on_commit_callbacks(execute=True):   # the cache bump runs after commit
        services.plan_draft_record_results(client=pet_shop, draft=draft, participants=820, cost=1_600_000,
                                           revenue=6_000_000, user=marketer)
    draft.refresh_from_db()
    assert draft.actual_roi == 275 and draft.status == "finished"
    # the cached answer is gone and the own campaign is now the first similar plan of its cell
    nxt = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    assert not nxt.cache_hit
    top = nxt.similar["medium-online"][0]
    assert top["source"] == "own" and top["roi"] == 275 and top["participants"] == 820


# --- API ------------------------------------------------------------------------------------------

def test_api_recommend_choose_and_errors(login, pet_shop, marketer):
    api = login(marketer)
    url = f"/api/v1/clients/{pet_shop.pk}/plans/recommend"
    res = api.post(url, {"purpose": "revisit", "date": DAY}, content_type="application/json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert_valid_six(body)
    res = api.post(url, {"purpose": "nope"}, content_type="application/json")
    assert res.status_code == 400 and "목적" in res.json()["detail"]
    res = api.post(f"/api/v1/clients/{pet_shop.pk}/plans/{body['id']}/choose", {"plan": "low-offline"},
                   content_type="application/json")
    assert res.status_code == 201 and res.json()["predicted_roi"] == body["plans"][1]["roi"]
    res = api.post(url, {"reask_of": body["id"]}, content_type="application/json")
    assert res.status_code == 201 and res.json()["parent_id"] == body["id"]
    assert api.get(f"/api/v1/clients/{pet_shop.pk}/plans/{body['id']}").json()["id"] == body["id"]


def test_api_profile_missing_is_409_with_a_link(login, shop, viewer):
    res = login(viewer).post(f"/api/v1/clients/{shop.pk}/plans/recommend", {"purpose": "sales"},
                             content_type="application/json")
    assert res.status_code == 409 and res.json()["link"] == f"/c/{shop.slug}/settings/"


def test_viewer_may_ask_but_not_choose(login, pet_shop, viewer):
    api = login(viewer)
    res = api.post(f"/api/v1/clients/{pet_shop.pk}/plans/recommend", {"purpose": "sales"},
                   content_type="application/json")
    assert res.status_code == 201
    res = api.post(f"/api/v1/clients/{pet_shop.pk}/plans/{res.json()['id']}/choose", {"plan": "low-online"},
                   content_type="application/json")
    assert res.status_code == 403


def test_another_clients_recommendation_and_draft_are_404(login, pet_shop, marketer):
    other = make_client("남의 가게", industry="패션")
    rec = services.recommend(client=other, purpose="sales", on_date=DAY)
    draft = services.plan_choose(client=other, recommendation=rec, plan_key="low-online")
    api = login(marketer)
    assert api.get(f"/api/v1/clients/{pet_shop.pk}/plans/{rec.pk}").status_code == 404
    assert api.post(f"/api/v1/clients/{pet_shop.pk}/plans/{rec.pk}/choose", {"plan": "low-online"},
                    content_type="application/json").status_code == 404
    assert api.post(f"/api/v1/clients/{pet_shop.pk}/plans/recommend", {"reask_of": rec.pk},
                    content_type="application/json").status_code == 404
    assert api.get(f"/c/{pet_shop.slug}/plans/{rec.pk}/").status_code == 404
    assert api.post(f"/c/{pet_shop.slug}/plans/{rec.pk}/choose/", {"plan": "low-online"}).status_code == 404
    assert api.post(f"/c/{pet_shop.slug}/plans/{rec.pk}/reask/").status_code == 404
    assert api.get(f"/c/{pet_shop.slug}/plans/drafts/{draft.pk}/").status_code == 404
    assert PlanDraft.objects.filter(client=pet_shop).count() == 0


# --- pages ----------------------------------------------------------------------------------------

def test_pages_pick_a_purpose_choose_a_plan_and_record_results(login, pet_shop, marketer):
    web = login(marketer)
    home = web.get(f"/c/{pet_shop.slug}/plans/")
    assert home.status_code == 200 and "재방문 유도" in home.content.decode()
    res = web.post(f"/c/{pet_shop.slug}/plans/", {"purpose": "sales", "date": DAY})
    assert res.status_code == 302
    page = web.get(res["Location"]).content.decode()
    assert page.count('class="card plan-card"') == 6 and "다시 추천받기" in page and "예상 ROI" in page
    rec = Recommendation.objects.get(client=pet_shop)
    res = web.post(f"/c/{pet_shop.slug}/plans/{rec.pk}/choose/", {"plan": "high-offline"})
    draft = PlanDraft.objects.get(client=pet_shop)
    assert res["Location"] == f"/c/{pet_shop.slug}/plans/drafts/{draft.pk}/"
    page = web.get(res["Location"]).content.decode()
    assert draft.name in page and f"{draft.predicted_roi}%" in page
    res = web.post(res["Location"], {"action": "results", "actual_participants": "900", "actual_cost": "5,500,000",
                                     "actual_revenue": "11000000"})
    assert res.status_code == 302
    draft.refresh_from_db()
    assert draft.actual_roi == 100
    home = web.get(f"/c/{pet_shop.slug}/plans/").content.decode()
    assert "100%" in home and 'id="roi-chart"' in home
    res = web.post(f"/c/{pet_shop.slug}/plans/drafts/{draft.pk}/", {"action": "results", "actual_participants": "x"})
    assert res.status_code == 400 and "0 이상의 숫자" in res.content.decode()


def test_page_without_profile_asks_the_owner_to_fill_it_in(login, shop, owner):
    web = login(owner)
    page = web.get(f"/c/{shop.slug}/plans/").content.decode()
    assert "업종" in page and f"/c/{shop.slug}/settings/" in page
    res = web.post(f"/c/{shop.slug}/plans/", {"purpose": "sales"})
    assert res.status_code == 409 and "설정" in res.content.decode()


def test_viewer_sees_plans_without_choose_buttons(login, pet_shop, viewer):
    rec = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    page = login(viewer).get(f"/c/{pet_shop.slug}/plans/{rec.pk}/").content.decode()
    assert page.count('class="card plan-card"') == 6 and "이 기획안 선택" not in page
    assert login(viewer).post(f"/c/{pet_shop.slug}/plans/{rec.pk}/choose/", {"plan": "low-online"}).status_code == 403


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_prints_json_and_rejects_bad_input(pet_shop, shop):
    out = StringIO()
    call_command("recommend_campaigns", "--client-id", str(pet_shop.pk), "--purpose", "재방문 유도",
                 "--date", DAY, "--format", "json", stdout=out)
    payload = json.loads(out.getvalue())
    assert_valid_six(payload) and payload["purpose"] == "revisit"
    with pytest.raises(CommandError, match="알 수 없는 목적"):
        call_command("recommend_campaigns", "--client-id", str(pet_shop.pk), "--purpose", "x")
    with pytest.raises(CommandError, match="unknown client id"):
        call_command("recommend_campaigns", "--client-id", "999999", "--purpose", "sales")
    with pytest.raises(CommandError, match="업종"):
        bare = make_client("빈 가게")
        call_command("recommend_campaigns", "--client-id", str(bare.pk), "--purpose", "sales")


def test_a_date_beyond_the_lunar_table_still_answers_and_says_so(pet_shop):
    rec = services.recommend(client=pet_shop, purpose="revisit", on_date="2031-01-10")
    assert "2024~2030" in rec.fallback_reason
    assert_valid_six(services.recommendation_payload(rec))


def test_draft_page_links_to_a_prefilled_message_campaign(login, pet_shop, marketer):
    rec = services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    draft = services.plan_choose(client=pet_shop, recommendation=rec, plan_key="low-online")
    page = login(marketer).get(f"/c/{pet_shop.slug}/plans/drafts/{draft.pk}/").content.decode()
    assert f"/c/{pet_shop.slug}/campaigns/new/?name=" in page


@respx.mock
def test_trends_are_analysed_once_an_hour_and_reused_by_the_next_model_answer(pet_shop, gemini):
    answer = model_answer(pet_shop)
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=gbody(answer)))
    services.recommend(client=pet_shop, purpose="sales", on_date=DAY)
    other = json.loads(json.dumps(answer))
    other["trends"]["industry"] = "모델이 이번에는 다르게 쓴 업종 트렌드 문장입니다. 길이는 충분합니다."
    route.mock(return_value=httpx.Response(200, json=gbody(other)))
    again = services.plan_reask(client=pet_shop, recommendation=Recommendation.objects.get(client=pet_shop))
    assert again.engine == "gemini"
    assert again.answer["trends"]["industry"] == answer["trends"]["industry"]
    prompt = json.loads(route.calls[-1].request.content)["contents"][0]["parts"][0]["text"]
    assert "이미 분석한 트렌드" in prompt and "이미 보여 준 기획안" in prompt
