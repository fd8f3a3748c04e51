"""Issue 19.5 on the pages: schedules in words with a picker (cron only under 고급), times in
the shop's time zone, the audit log in sentences."""
import datetime as dt
import html as html_mod
import re

import pytest
from django.utils import translation

from insights.saved_queries import services as saved
from insights.segments import services as segments
from tenants.models import AuditEntry
from tests.ask_support import viewers_ir
from tests.audience_support import CART_NO_ORDER

pytestmark = pytest.mark.django_db


def visible(html: str) -> str:
    """The page's text as a reader sees it: no tags, attributes, scripts or JSON islands."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    html = re.sub(r"</?(?:strong|em|code)\b[^>]*>", "", html)   # inline: part of the sentence
    return html_mod.unescape(re.sub(r"<[^>]+>", " ", html))


def test_saved_question_schedule_in_words_with_a_picker(shop, marketer, login):
    sq = saved.saved_query_create(client=shop, name="주간 조회자", ir=viewers_ir(), schedule="0 9 * * 1")
    c = login(marketer)
    listed = visible(c.get(f"/c/{shop.slug}/ask/saved/").content.decode())
    assert "매주 월요일 09:00" in listed and "0 9 * * 1" not in listed
    html = c.get(f"/c/{shop.slug}/ask/saved/{sq.pk}/").content.decode()
    text = visible(html)
    assert "매주 월요일 09:00" in text and "0 9 * * 1" not in text
    # the picker in words; the cron the API takes is the input under 고급
    assert 'data-schedule-picker' in html and 'data-testid="schedule-freq"' in html
    assert re.search(r'<details data-sp="advanced">.*name="schedule" value="0 9 \* \* 1"', html, re.S)


def test_ask_and_audience_pages_pick_schedules_in_words(shop, marketer, login):
    c = login(marketer)
    for url in (f"/c/{shop.slug}/ask/", f"/c/{shop.slug}/audiences/"):
        html = c.get(url).content.decode()
        assert 'data-schedule-picker' in html and 'id="save-schedule"' in html, url
        assert "cron" not in visible(html).split("고급")[0], url


def test_segment_schedule_in_words_english_too(shop, marketer, login):
    seg = segments.segment_create(client=shop, name="장바구니 이탈", rules=CART_NO_ORDER)
    c = login(marketer)
    text = visible(c.get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").content.decode())
    assert "매일 06:00" in text and "0 6 * * *" not in text
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = visible(c.get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").content.decode())
    assert "Every day at 06:00" in text
    translation.activate("ko")   # the middleware leaves the thread's language behind for later tests


def test_campaign_form_has_the_schedule_picker(shop, marketer, login):
    html = login(marketer).get(f"/c/{shop.slug}/campaigns/new/").content.decode()
    assert 'data-schedule-picker' in html and 'name="cron"' in html
    assert "0 10 * * 1" not in visible(html)


def test_audit_log_times_in_the_shops_time_zone_and_in_sentences(shop, owner, login):
    shop.timezone = "America/New_York"
    shop.save(update_fields=["timezone"])
    AuditEntry.objects.create(client=shop, actor=owner, action="segment.export", target="장바구니 이탈",
                              details={"rows": 1234, "format": "csv"},
                              created_at=dt.datetime(2025, 1, 15, 3, 30, tzinfo=dt.UTC))
    text = visible(login(owner).get(f"/c/{shop.slug}/settings/audit/").content.decode())
    assert "2025-01-14 22:30" in text   # 03:30 UTC is 22:30 the day before in New York
    assert "{'rows'" not in text and "segment.export" not in text
    assert "내보냈습니다" in text and "1,234" in text
    assert "세그먼트 ‘장바구니 이탈’을 내보냈습니다." in text and "형식 csv" in text


def test_segment_history_and_times_in_the_shops_time_zone(shop, marketer, login):
    import json

    from insights.models import SegmentSnapshot

    shop.timezone = "America/New_York"
    shop.save(update_fields=["timezone"])
    seg = segments.segment_create(client=shop, name="장바구니 이탈", rules=CART_NO_ORDER)
    SegmentSnapshot.objects.create(client=shop, segment=seg, version=1, status="succeeded", size=1234,
                                   created_at=dt.datetime(2025, 1, 15, 3, 30, tzinfo=dt.UTC))
    html = login(marketer).get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/").content.decode()
    assert "2025-01-14 22:30" in visible(html) and "2025-01-15 03:30" not in visible(html)
    cfg = json.loads(re.search(r'id="segment-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert cfg["history"][0]["at"].startswith("2025-01-14T22:30")   # the chart's axis
    assert "1,234" in visible(html)


def test_removing_a_member_is_not_called_export(shop, owner, marketer, login):
    html = login(owner).get(f"/c/{shop.slug}/settings/members/").content.decode()
    assert "멤버에서 제외" in visible(html) and "내보내기" not in visible(html)


def test_rows_read_is_not_shown_when_the_store_cannot_say_it(shop, marketer, login):
    """chDB (4.4, through clickhouse-connect 1.12) reports the RESULT rows as read_rows: a count()
    over 100,000 rows 'read' 1. A wrong number is hidden, not shown as 읽은 행."""
    from insights.models import QueryRun

    sq = saved.saved_query_create(client=shop, name="주간 조회자", ir=viewers_ir())
    run = QueryRun.objects.create(client=shop, saved_query=sq, status="succeeded", rows_read=1, row_count=1)
    c = login(marketer)
    html = c.get(f"/c/{shop.slug}/ask/saved/{sq.pk}/").content.decode()
    assert "읽은 행" not in visible(html)
    body = c.get(f"/api/v1/clients/{shop.pk}/runs/{run.pk}").json()
    assert body["rows_read"] is None and body["row_count"] == 1
