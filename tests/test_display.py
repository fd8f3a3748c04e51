"""wording (the shared display helpers): particles, numbers, schedules and stored values in words (pure)."""
import pytest

import wording as display


@pytest.mark.parametrize("word,pair,expected", [
    ("재방문 유도", "을/를", "재방문 유도를"), ("장바구니 이탈", "을/를", "장바구니 이탈을"),
    ("쿠폰", "이/가", "쿠폰이"), ("할인", "은/는", "할인은"), ("캠페인", "으로/로", "캠페인으로"),
    ("메일", "으로/로", "메일로"), ("푸시", "으로/로", "푸시로"), ("10", "을/를", "10을"), ("2", "이/가", "2가"),
    ("SMS", "을/를", "SMS를"), ("app", "을/를", "app을"),
])
def test_particles_follow_the_final_consonant(word, pair, expected):
    assert display.josa(word, pair) == expected


@pytest.mark.parametrize("cron,ko,en", [
    ("0 9 * * 1", "매주 월요일 09:00", "Every Monday at 09:00"),
    ("0 6 * * *", "매일 06:00", "Every day at 06:00"),
    ("30 10 15 * *", "매월 15일 10:30", "Monthly on day 15 at 10:30"),
    ("0 9 * * 1,3", "매주 월·수요일 09:00", "Every Monday, Wednesday at 09:00"),
    ("0 9 * * 1-5", "매주 평일(월~금) 09:00", "Every weekday at 09:00"),
    ("0 9 * * 0", "매주 일요일 09:00", "Every Sunday at 09:00"),
    ("*/15 * * * *", "사용자 지정 일정 (*/15 * * * *)", "Custom schedule (*/15 * * * *)"),
])
def test_schedules_in_words(cron, ko, en):
    assert display.schedule_words(cron) == ko
    assert display.schedule_words(cron, lang="en") == en


def test_no_schedule_has_a_word():
    assert display.schedule_words("") == "없음"
    assert display.schedule_words(None, none="수동") == "수동"


def test_numbers():
    assert display.percent(0.0578) == "5.8%"
    assert display.percent(0.5) == "50%"
    assert display.percent(None) == "—"
    assert display.won(1234567) == "1,234,567원"
    assert display.won(1234567, lang="en") == "₩1,234,567"
    assert display.count(12345, "명") == "12,345명"
    assert display.count(3, "건", lang="en") == "3 items"


def test_device_and_channel_labels():
    assert [display.device_label(v) for v in ("mobile", "desktop", "tablet")] == ["모바일", "데스크톱", "태블릿"]
    assert display.device_label("Mobile", lang="en") == "Mobile"
    assert display.channel_label("naver") == "네이버"
    assert display.channel_label("") == "직접 유입"
    assert display.channel_label("my_affiliate") == "my_affiliate"
