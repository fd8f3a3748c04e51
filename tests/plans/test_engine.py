"""The pure engine: calendar, library, retrieval, offline composer and validation (no database)."""
import itertools
import json
from datetime import date

import pytest

from plans.engine import context, offline, retrieval
from plans.engine.library import load_library, match_industry
from plans.engine.occasions import CHUSEOK, SEOLLAL, black_friday, occasions_near, season_of
from plans.engine.schema import BANDS, CELLS, PURPOSES, Answer, answer_json_schema, cell_key, purpose_key
from plans.engine.validate import grounding_from, rule_errors, validate_answer

INDUSTRIES = ["여성의류", "화장품", "건강식품", "원목 가구", "전자제품 액세서리", "유아동복", "반려견 간식",
              "캠핑용품", "도서", "수제 도자기"]   # the last one matches no library industry


def test_lunar_holidays_are_tabled_for_every_year_2024_2030():
    assert set(SEOLLAL) == set(CHUSEOK) == set(range(2024, 2031))
    assert SEOLLAL[2026] == date(2026, 2, 17) and CHUSEOK[2026] == date(2026, 9, 25)
    names = [o.name for o in occasions_near(date(2026, 1, 25))]
    assert "설날" in names
    assert "추석" in [o.name for o in occasions_near(date(2027, 9, 1))]


def test_black_friday_is_the_day_after_the_fourth_thursday_and_november_brings_the_big_sales():
    assert black_friday(2025) == date(2025, 11, 28) and black_friday(2026) == date(2026, 11, 27)
    names = [o.name for o in occasions_near(date(2026, 11, 5))]
    assert names[:3] == ["코리아세일페스타", "빼빼로데이", "블랙프라이데이"]
    assert season_of(date(2026, 11, 5)) == "가을" and season_of(date(2027, 1, 5)) == "겨울"


def test_the_library_ships_over_100_valid_plans_across_industries():
    lib = load_library()
    assert len(lib) >= 100
    assert len({p.industry for p in lib}) >= 9
    assert len({p.title for p in lib}) >= 50          # real variety, not one template repeated
    for p in lib:
        lo, hi = BANDS[p.budget]
        assert lo <= p.cost <= hi, p.id
        assert len(p.title) <= 30 and len(p.prize) <= 20 and p.participants > 0
        assert p.purpose in PURPOSES
    # each industry covers every (budget, channel) cell
    for ind in {p.industry for p in lib}:
        cells = {cell_key(p.budget, p.channel) for p in lib if p.industry == ind}
        assert cells == {cell_key(b, c) for b, c in CELLS}


def test_industry_matching_accepts_the_shops_own_words():
    assert match_industry("반려견 간식") == "pets"
    assert match_industry("여성의류 쇼핑몰") == "fashion"
    assert match_industry("스킨케어") == "beauty"
    assert match_industry("수제 도자기") is None


def test_retrieval_ranks_the_same_industry_and_purpose_first():
    prof = context.Profile(industry="반려동물 용품", region="서울")
    hits = context.similar_plans(prof, "sales", date(2026, 11, 5))
    assert set(hits) == {cell_key(b, c) for b, c in CELLS}
    for key, hs in hits.items():
        assert len(hs) == 4
        assert hs[0]["industry"] == "pets" or hs[0]["purpose"] == "sales"
        assert [h["score"] for h in hs] == sorted((h["score"] for h in hs), reverse=True)


def test_char_ngrams_match_korean_without_spaces():
    idx = retrieval.TfidfIndex(["반려견 수제 간식 샘플", "원목 수납장 무드등"])
    s = idx.scores("반려견간식")
    assert s[0] > 0.2 and s[1] == 0


@pytest.mark.parametrize("industry,purpose,month", list(itertools.product(
    INDUSTRIES, list(PURPOSES), [1, 5, 9, 11])))
def test_offline_answer_is_always_valid_and_grounded(industry, purpose, month):
    day = date(2026, month, 10)
    prof = context.Profile(industry=industry, region="부산", visitors_30d=40_000)
    hits = context.similar_plans(prof, purpose, day)
    g = grounding_from(hits)
    trends = offline.offline_trends(industry_key=prof.industry_key, industry_text=industry, region="부산",
                                    purpose=purpose, day=day, occasions=occasions_near(day))
    answer = offline.compose(hits, g, trends=trends, visitors_30d=40_000)
    assert rule_errors(answer, g) == []
    assert [p.key for p in answer.plans] == [cell_key(b, c) for b, c in CELLS]
    for ch in ("online", "offline"):
        rois = [answer.plan(cell_key(b, ch)).roi for b in ("low", "medium", "high")]
        assert rois == sorted(rois, reverse=True)
    for text in (trends.industry, trends.location, trends.season):
        assert 40 <= len(text) <= 200


def test_reask_composes_different_titles_where_the_library_has_alternatives():
    prof = context.Profile(industry="패션")
    day = date(2026, 4, 1)
    hits = context.similar_plans(prof, "acquisition", day)
    g = grounding_from(hits)
    t = offline.offline_trends(industry_key="fashion", industry_text="패션", region="", purpose="acquisition",
                               day=day, occasions=[])
    first = offline.compose(hits, g, trends=t)
    second = offline.compose(hits, g, trends=t, exclude_titles={p.title for p in first.plans})
    assert {p.title for p in first.plans}.isdisjoint({p.title for p in second.plans})
    assert rule_errors(second, g) == []


def _valid_dict():
    prof = context.Profile(industry="뷰티")
    day = date(2026, 6, 1)
    hits = context.similar_plans(prof, "revisit", day)
    g = grounding_from(hits)
    t = offline.offline_trends(industry_key="beauty", industry_text="뷰티", region="", purpose="revisit",
                               day=day, occasions=[])
    return offline.compose(hits, g, trends=t).model_dump(), g


def test_validation_rejects_five_plans_an_out_of_band_cost_rising_roi_and_ungrounded_numbers():
    good, g = _valid_dict()
    assert validate_answer(json.dumps(good), g)[1] == []

    five = dict(good, plans=good["plans"][:5])
    assert validate_answer(five, g)[0] is None and "plans" in validate_answer(five, g)[1][0]

    twice = dict(good, plans=good["plans"][:5] + [good["plans"][0]])
    assert any("정확히 1개" in e for e in validate_answer(twice, g)[1])

    bad_cost = json.loads(json.dumps(good))
    bad_cost["plans"][2]["cost"] = 2_500_000
    assert any("예산 범위" in e and "medium-online" in e for e in validate_answer(bad_cost, g)[1])

    rising = json.loads(json.dumps(good))
    rising["plans"][4]["roi"] = rising["plans"][0]["roi"] + 50   # high-online above low-online
    assert any("높아지면 안 됩니다" in e for e in validate_answer(rising, g)[1])

    inflated = json.loads(json.dumps(good))
    inflated["plans"][0]["expected_participants"] = 90_000
    assert any("참고 사례 범위" in e for e in validate_answer(inflated, g)[1])

    long_title = json.loads(json.dumps(good))
    long_title["plans"][0]["title"] = "가" * 31
    assert validate_answer(long_title, g)[0] is None


def test_purpose_accepts_keys_and_korean_labels_only():
    assert purpose_key("sales") == "sales" and purpose_key("매출 증대") == "sales" and purpose_key("매출증대") == "sales"
    assert purpose_key("brand love") is None and purpose_key("") is None


def test_the_json_schema_demands_exactly_six_plans_with_bounded_text():
    s = answer_json_schema()
    plans = s["properties"]["plans"]
    assert plans["minItems"] == plans["maxItems"] == 6
    plan = s["$defs"]["Plan"]["properties"]
    assert plan["title"]["maxLength"] == 30 and plan["prize"]["maxLength"] == 20
    assert set(plan["budget"]["enum"]) == {"low", "medium", "high"}
    Answer.model_validate(_valid_dict()[0])


def test_a_shop_outside_the_librarys_industries_is_not_offered_other_industries_products():
    product_words = ("태블릿", "유모차", "한우", "카시트", "블루투스", "아우터", "수분 크림", "러닝화", "반려견")
    for purpose in PURPOSES:
        prof = context.Profile(industry="수제 도자기")
        day = date(2026, 11, 21)
        hits = context.similar_plans(prof, purpose, day)
        g = grounding_from(hits)
        t = offline.offline_trends(industry_key=None, industry_text="수제 도자기", region="", purpose=purpose,
                                   day=day, occasions=[])
        answer = offline.compose(hits, g, trends=t, industry_key=prof.industry_key)
        assert rule_errors(answer, g) == []
        text = " ".join(f"{p.title} {p.prize} {p.participation}" for p in answer.plans)
        assert not any(w in text for w in product_words), text
