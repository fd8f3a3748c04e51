"""Plan texts read as Korean (issue 19.5): particles by the final consonant, and a date that has
passed is never called upcoming."""
from datetime import date

import pytest
from django.core.cache import cache

from plans import services
from plans.engine import offline
from plans.engine.occasions import occasions_near


@pytest.mark.parametrize("purpose,expected", [("revisit", "재방문 유도를"), ("acquisition", "신규 고객 유치를"),
                                              ("sales", "매출 증대를"), ("awareness", "인지도 향상을")])
def test_purpose_takes_the_right_particle(purpose, expected):
    t = offline.offline_trends(industry_key="pets", industry_text="반려동물", region="서울", purpose=purpose,
                               day=date(2026, 11, 5), occasions=occasions_near(date(2026, 11, 5)))
    assert expected in t.location and "을(를)" not in t.location


def test_an_occasion_under_way_is_not_upcoming():
    day = date(2026, 2, 18)   # 설날 2026-02-17, its holiday runs 02-16..02-18
    t = offline.offline_trends(industry_key="pets", industry_text="반려동물", region="", purpose="sales",
                               day=day, occasions=occasions_near(day))
    assert "설날" in t.season
    assert "다가오는 시즌 이벤트: 설날" not in t.season and "진행 중" in t.season


@pytest.mark.django_db
def test_the_plan_page_does_not_call_past_dates_upcoming(shop, marketer, login):
    cache.clear()
    shop.industry, shop.business_type, shop.region = "반려동물 용품", "온라인 쇼핑몰", "서울 마포구"
    shop.save()
    rec = services.recommend(client=shop, purpose="재방문 유도", on_date="2025-11-05")   # 블랙프라이데이 2025-11-28
    assert rec.occasions
    html = login(marketer).get(f"/c/{shop.slug}/plans/{rec.pk}/").content.decode()
    assert "다가오는 기념일" not in html
    assert "지난 기념일" in html
    assert "재방문 유도를" in html and "을(를)" not in html
