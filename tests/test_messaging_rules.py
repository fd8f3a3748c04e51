"""Pure messaging logic, no database: advertising rules, templates, statistics, launch HMAC."""
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from messaging import compliance, stats, templates
from messaging.cafe24 import hmac as cafe24_hmac
from messaging.crypto import mask_name, mask_phone

KST = compliance.KST
SMS_KW = dict(channel="sms", sender_name="가게A", contact="02-123-4567", optout="무료수신거부 080-123-4567")


def kst(h, m=0, day=3):
    return datetime(2026, 11, day, h, m, tzinfo=KST)


# --- (광고) frame ---------------------------------------------------------------------------

def test_composed_sms_ad_starts_with_prefix_and_has_sender_contact_optout():
    text = compliance.compose_ad("겨울 세일 30%", **SMS_KW)
    assert text.startswith("(광고)가게A")
    assert "02-123-4567" in text and text.endswith("무료수신거부 080-123-4567")
    assert compliance.check_ad(text, **SMS_KW) == []


def test_existing_prefix_is_not_doubled():
    assert compliance.compose_ad("(광고) 세일", **SMS_KW).count("(광고)") == 1


@pytest.mark.parametrize("bad", ["[광고]가게A 세일 02-123-4567 무료수신거부 080-123-4567",
                                 "(광 고)가게A 세일 02-123-4567 무료수신거부 080-123-4567",
                                 "가게A (광고) 세일 02-123-4567 무료수신거부 080-123-4567",
                                 " (광고)가게A 세일 02-123-4567 무료수신거부 080-123-4567"])
def test_prefix_must_be_exact_and_first(bad):
    codes = [p.code for p in compliance.check_ad(bad, **SMS_KW)]
    assert codes == ["prefix"]


@pytest.mark.parametrize("field,code", [("sender_name", "sender_name"), ("contact", "contact"), ("optout", "optout")])
def test_missing_sender_contact_or_optout_is_named(field, code):
    kw = {**SMS_KW, field: ""}
    text = compliance.compose_ad("세일", **kw)
    problems = compliance.check_ad(text, **kw)
    assert [p.code for p in problems] == [code]
    assert problems[0].message  # Korean, shown before anything is sent


def test_sms_optout_must_be_free():
    kw = {**SMS_KW, "optout": "수신거부 080-123-4567"}
    assert [p.code for p in compliance.check_ad(compliance.compose_ad("세일", **kw), **kw)] == ["optout"]


def test_push_frame_names_sender_and_optout_in_one_line():
    kw = {**SMS_KW, "channel": "push", "optout": "알림 설정에서 수신거부"}
    text = compliance.compose_ad("세일", **kw)
    assert text.startswith("(광고)가게A") and "\n" not in text and compliance.check_ad(text, **kw) == []


# --- quiet hours ----------------------------------------------------------------------------

@pytest.mark.parametrize("h,m,quiet", [(20, 59, False), (21, 0, True), (23, 30, True), (0, 0, True), (7, 59, True),
                                      (8, 0, False), (12, 0, False)])
def test_quiet_hours_are_21_to_08_korean_time(h, m, quiet):
    assert compliance.in_quiet_hours(kst(h, m)) is quiet
    assert compliance.in_quiet_hours(kst(h, m).astimezone(timezone.utc)) is quiet


def test_held_until_eight_the_next_morning_or_same_morning():
    assert compliance.next_send_time(kst(22, 15)) == kst(8, 0, day=4)
    assert compliance.next_send_time(kst(3, 0)) == kst(8, 0)
    noon = kst(12)
    assert compliance.next_send_time(noon) is noon
    # UTC in, UTC out, still 08:00 in Seoul
    got = compliance.next_send_time(kst(23).astimezone(timezone.utc))
    assert got.tzinfo == timezone.utc and got.astimezone(KST) == kst(8, 0, day=4)


@pytest.mark.parametrize("kw,fate", [
    (dict(is_ad=True, consent=False, night_consent=False, at=kst(12)), "suppress:no_consent"),
    (dict(is_ad=False, consent=False, night_consent=False, at=kst(12)), "send"),
    (dict(is_ad=True, consent=True, night_consent=False, at=kst(12)), "send"),
    (dict(is_ad=True, consent=True, night_consent=False, at=kst(22)), "hold"),
    (dict(is_ad=True, consent=True, night_consent=True, at=kst(22)), "send"),
    (dict(is_ad=False, consent=True, night_consent=False, at=kst(22)), "send"),
])
def test_may_receive(kw, fate):
    got, when = compliance.may_receive(channel="push", sent_today=0, daily_cap=2, **kw)
    assert got == fate
    assert (when is not None) == (fate == "hold")


def test_frequency_cap_per_day():
    common = dict(is_ad=True, channel="sms", consent=True, night_consent=False, at=kst(12), daily_cap=2)
    assert compliance.may_receive(sent_today=1, **common)[0] == "send"
    assert compliance.may_receive(sent_today=2, **common)[0] == "suppress:frequency_cap"
    assert compliance.may_receive(sent_today=99, **{**common, "daily_cap": 0})[0] == "send"  # 0 = no cap


def test_sms_vs_lms_by_euckr_bytes():
    assert compliance.sms_type("가" * 45) == "SMS"      # 90 bytes
    assert compliance.sms_type("가" * 46) == "LMS"
    assert compliance.sms_type("a" * 2000) == "LMS"
    with pytest.raises(ValueError):
        compliance.sms_type("가" * 1001)


# --- templates -------------------------------------------------------------------------------

def test_template_renders_variables_with_fallbacks():
    assert templates.validate("{{name}}님, {{ shop_name }} 세일") == ["name", "shop_name"]
    assert templates.render("{{name}}님 {{shop_name}}", {"name": "", "shop_name": "가게A"}) == "고객님 가게A"


@pytest.mark.parametrize("bad", ["{{nmae}}님", "{{name}} {{coupon}}", "{{name}", "내용 {{ }}"])
def test_invalid_template_variable_is_refused_with_the_allowed_list(bad):
    with pytest.raises(templates.TemplateError) as exc:
        templates.validate(bad)
    assert "{{" in str(exc.value) or "괄호" in str(exc.value)


def test_empty_template_refused():
    with pytest.raises(templates.TemplateError):
        templates.validate("  ")


@pytest.mark.parametrize("url,want", [
    ("https://shop.kr/p/1", "https://shop.kr/p/1?untitle_tid=abc"),
    ("https://shop.kr/p?x=1", "https://shop.kr/p?x=1&untitle_tid=abc"),
    ("https://shop.kr/p#top", "https://shop.kr/p?untitle_tid=abc#top"),
    ("", ""),
])
def test_tracking_id_goes_into_links(url, want):
    assert templates.add_tracking(url, "abc") == want


# --- statistics ------------------------------------------------------------------------------

def test_lift_ci_matches_the_normal_approximation():
    r = stats.lift_ci(120, 1000, 80, 1000)
    assert r["diff"] == pytest.approx(0.04)
    # se = sqrt(.12*.88/1000 + .08*.92/1000) = 0.0133866
    assert r["low"] == pytest.approx(0.04 - 1.959964 * 0.0133866, abs=1e-6)
    assert r["high"] == pytest.approx(0.04 + 1.959964 * 0.0133866, abs=1e-6)
    assert r["relative"] == pytest.approx(0.5) and r["significant"] is True


def test_lift_ci_is_not_significant_when_interval_spans_zero_and_empty_groups_give_none():
    assert stats.lift_ci(10, 100, 9, 100)["significant"] is False
    assert stats.lift_ci(10, 100, 0, 0)["diff"] is None


# --- Cafe24 app launch HMAC -----------------------------------------------------------------

# Our own vector (the official sample's inputs were not found): computed independently with
#   printf '%s' "$Q" | openssl dgst -sha256 -hmac 'sample-secret-key' -binary | base64
LAUNCH_Q = ("is_multi_shop=T&lang=ko_KR&mall_id=untitletest&nation=KR&shop_no=1&timestamp=1700000000"
            "&user_id=untitletest&user_name=%EC%9A%B4%EC%98%81%EC%9E%90&user_type=P")
LAUNCH_HMAC = "c67mjgrk5uBzDZvmtIGMRcmISUiG+94dMthOTJJUIbw="


def test_hmac_matches_independent_vector():
    assert cafe24_hmac.sign(LAUNCH_Q, "sample-secret-key") == LAUNCH_HMAC
    params = cafe24_hmac.verify_launch(f"{LAUNCH_Q}&hmac={quote(LAUNCH_HMAC, safe='')}", "sample-secret-key",
                                       now=1700000000 + 60)
    assert params["mall_id"] == "untitletest" and params["user_name"] == "운영자"


@pytest.mark.parametrize("raw,now", [
    (f"{LAUNCH_Q}&hmac={quote(LAUNCH_HMAC, safe='')}", 1700000000 + 3601),          # too old
    (f"{LAUNCH_Q.replace('shop_no=1', 'shop_no=2')}&hmac={quote(LAUNCH_HMAC, safe='')}", 1700000000),  # tampered
    (LAUNCH_Q, 1700000000),                                                            # no hmac
    (f"hmac={quote(LAUNCH_HMAC, safe='')}&{LAUNCH_Q}", 1700000000),                  # hmac not last
])
def test_hmac_rejects(raw, now):
    assert cafe24_hmac.verify_launch(raw, "sample-secret-key", now=now) is None


def test_masking():
    assert mask_phone("010-1234-5678") == "010-****-5678"
    assert mask_name("홍길동") == "홍*동" and mask_name("김철") == "김*"
