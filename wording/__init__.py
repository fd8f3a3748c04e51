"""How numbers, schedules, particles and stored values read on a page (Korean first, English).

Pure and top-level (like ``gemini``): no Django, so templates (through
``tenants.templatetags.display``), views and the pure engines' generated sentences share one
rule. Functions take ``lang`` ("ko" | "en") instead of reading the request.
"""
from __future__ import annotations

import math

__all__ = ["CHANNEL_LABELS", "DEVICE_LABELS", "channel_label", "count", "device_label", "has_final",
           "josa", "percent", "schedule_words", "won"]

# --- Korean particles (조사) chosen by the last syllable's final consonant -------------------

# The pairs are written "with final / without final"; 으로/로 also takes 로 after ㄹ.
_PAIRS = {"을/를": ("을", "를"), "이/가": ("이", "가"), "은/는": ("은", "는"), "과/와": ("과", "와"),
          "으로/로": ("으로", "로"), "아/야": ("아", "야"), "이에요/예요": ("이에요", "예요")}
_RIEUL = 8  # index of ㄹ among Hangul syllable finals
# How digits are read in Korean (영 일 이 삼 사 오 육 칠 팔 구): the final of each reading.
_DIGIT_FINAL = {"0": 21, "1": _RIEUL, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": _RIEUL, "8": _RIEUL, "9": 0}
# Latin letters as Koreans read a word's end ("SMS" 에스, "app" 앱, "mail" 메일).
_LATIN_FINAL = {"l": _RIEUL, "m": 16, "n": 4, "p": 17, "t": 1, "k": 1, "b": 17, "d": 1, "g": 21}


def _final(word: str) -> int:
    """The final consonant index (0 = none, 8 = ㄹ) of how ``word`` ends when read aloud."""
    for ch in reversed(word.strip()):
        code = ord(ch)
        if 0xAC00 <= code <= 0xD7A3:
            return (code - 0xAC00) % 28
        if ch.isdigit():
            return _DIGIT_FINAL.get(ch, 0)
        if ch.isascii() and ch.isalpha():
            return _LATIN_FINAL.get(ch.lower(), 0)
        if ch in ")]}\"'%»”’ .":
            # a closing mark or unit is read past: "할인(10%)" ends in 퍼센트, read the word before
            if ch == "%":
                return 0  # 퍼센트
            continue
        return 0
    return 0


def has_final(word: str) -> bool:
    return _final(word) != 0


def josa(word: str, pair: str) -> str:
    """``word`` followed by the particle of ``pair`` ("을/를", "이/가", "은/는", "으로/로", ...)
    that its last sound takes: josa("재방문 유도", "을/를") == "재방문 유도를"."""
    with_final, without = _PAIRS[pair]
    final = _final(word)
    if pair == "으로/로":
        return word + ("로" if final in (0, _RIEUL) else "으로")
    return word + (with_final if final else without)


# --- numbers ----------------------------------------------------------------------------------

def _grouped(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def percent(ratio: float | None, *, digits: int = 1) -> str:
    """A 0..1 ratio as a percentage: 0.0578 -> "5.8%"; None (no denominator) -> "—"."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "—"
    return _grouped(float(ratio) * 100, digits) + "%"


def won(amount: float | None, *, lang: str = "ko") -> str:
    """Money in KRW: 1234567 -> "1,234,567원" (English "₩1,234,567")."""
    if amount is None:
        return "—"
    text = _grouped(round(float(amount)), 0)
    return f"₩{text}" if lang == "en" else f"{text}원"


_COUNT_UNITS = {"명": ("person", "people"), "건": ("item", "items"), "회": ("time", "times"),
                "개": ("item", "items"), "일": ("day", "days")}


def count(n: float | None, unit: str = "", *, lang: str = "ko") -> str:
    """A count with thousands separators and its Korean counter: count(1234, "명") -> "1,234명"."""
    if n is None:
        return "—"
    text = _grouped(float(n), 0 if float(n).is_integer() else 2)
    if not unit:
        return text
    if lang == "en":
        one, many = _COUNT_UNITS.get(unit, (unit, unit))
        return f"{text} {one if n == 1 else many}"
    return text + unit


# --- stored values in words -----------------------------------------------------------------

DEVICE_LABELS = {"mobile": ("모바일", "Mobile"), "desktop": ("데스크톱", "Desktop"),
                 "tablet": ("태블릿", "Tablet"), "bot": ("봇", "Bot"), "other": ("기타", "Other")}
# utm_source values shops use most (Cafe24 shops' ad channels), as marketers name them.
CHANNEL_LABELS = {"naver": ("네이버", "Naver"), "google": ("구글", "Google"), "kakao": ("카카오", "Kakao"),
                  "daum": ("다음", "Daum"), "facebook": ("페이스북", "Facebook"),
                  "instagram": ("인스타그램", "Instagram"), "youtube": ("유튜브", "YouTube"),
                  "meta": ("메타", "Meta"), "criteo": ("크리테오", "Criteo"), "tiktok": ("틱톡", "TikTok"),
                  "email": ("이메일", "E-mail"), "push": ("웹 푸시", "Web push"), "sms": ("문자", "SMS"),
                  "direct": ("직접 유입", "Direct"), "(direct)": ("직접 유입", "Direct"),
                  "(none)": ("직접 유입", "Direct"), "": ("직접 유입", "Direct"),
                  "untitle": ("UNTITLE 캠페인", "UNTITLE campaign")}


def _label(table: dict, value, lang: str) -> str:
    key = "" if value is None else str(value).strip().lower()
    pair = table.get(key)
    if pair is None and not key:
        return "—"
    return pair[lang == "en"] if pair else str(value)


def device_label(value, *, lang: str = "ko") -> str:
    return _label(DEVICE_LABELS, value, lang)


def channel_label(value, *, lang: str = "ko") -> str:
    return _label(CHANNEL_LABELS, value, lang)


# --- schedules (five-field cron in the shop's time zone) in words ----------------------------

_DAYS_KO = ["일", "월", "화", "수", "목", "금", "토"]
_DAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _int(field: str, lo: int, hi: int) -> int | None:
    return int(field) if field.isdigit() and lo <= int(field) <= hi else None


def _days(field: str) -> list[int] | None:
    """A day-of-week field as a sorted list of 0..6 (Sunday 0; 7 is Sunday too), or None."""
    out: set[int] = set()
    for part in field.split(","):
        if "-" in part:
            a, _, b = part.partition("-")
            lo, hi = _int(a, 0, 7), _int(b, 0, 7)
            if lo is None or hi is None or lo > hi:
                return None
            out.update(d % 7 for d in range(lo, hi + 1))
        else:
            d = _int(part, 0, 7)
            if d is None:
                return None
            out.add(d % 7)
    return sorted(out)


def schedule_words(cron: str | None, *, lang: str = "ko", none: str | None = None) -> str:
    """"0 9 * * 1" -> "매주 월요일 09:00" ("Every Monday at 09:00"); "" -> ``none`` (default
    "없음"/"None"). A schedule the picker cannot say (steps, months) is named as custom, with
    its cron for the one who wrote it."""
    en = lang == "en"
    if not cron or not cron.strip():
        return none if none is not None else ("None" if en else "없음")
    fields = cron.split()
    custom = f"Custom schedule ({cron.strip()})" if en else f"사용자 지정 일정 ({cron.strip()})"
    if len(fields) != 5:
        return custom
    minute, hour, dom, month, dow = fields
    m, h = _int(minute, 0, 59), _int(hour, 0, 23)
    if m is None or h is None or month != "*":
        return custom
    at = f"{h:02d}:{m:02d}"
    if dom == "*" and dow == "*":
        return f"Every day at {at}" if en else f"매일 {at}"
    if dom == "*":
        days = _days(dow)
        if not days:
            return custom
        if days == [0, 1, 2, 3, 4, 5, 6]:
            return f"Every day at {at}" if en else f"매일 {at}"
        if days == [1, 2, 3, 4, 5]:
            return f"Every weekday at {at}" if en else f"매주 평일(월~금) {at}"
        if en:
            return f"Every {', '.join(_DAYS_EN[d] for d in days)} at {at}"
        return f"매주 {'·'.join(_DAYS_KO[d] for d in days)}요일 {at}"
    if dow == "*":
        day = _int(dom, 1, 31)
        if day is None:
            return custom
        return f"Monthly on day {day} at {at}" if en else f"매월 {day}일 {at}"
    return custom
