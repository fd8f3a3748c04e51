"""Periods in Korean and English marketer questions -> IR ``Window`` (local dates).

Returns the window and the character spans it consumed, so the parser can tell which words it
did not understand. Years left out ("8월 1일") mean the latest such date not after today.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from .ir import Window

KO_NUM = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4, "다섯": 5,
          "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "fourteen": 14, "thirty": 30}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_NUMW = r"(\d+|" + "|".join(sorted(list(KO_NUM) + list(EN_NUM), key=len, reverse=True)) + ")"


def to_int(s: str) -> int:
    s = s.strip()
    if s.isdigit():
        return int(s)
    return KO_NUM.get(s) or EN_NUM[s]


class DateError(ValueError):
    """A period that names an impossible date (Korean message)."""


def _ymd(y: int | None, m: int, d: int, today: date) -> date:
    try:
        if y is not None:
            return date(y, m, d)
        got = date(today.year, m, d)
        return got if got <= today else date(today.year - 1, m, d)
    except ValueError as exc:
        raise DateError(f"{m}월 {d}일은 없는 날짜입니다") from exc


def _abs(a: date, b: date) -> Window:
    if a > b:
        raise DateError(f"시작일({a})이 종료일({b})보다 늦습니다")
    return Window(type="absolute", start=a, end=b)


def _month(y: int | None, m: int, today: date) -> Window:
    if not 1 <= m <= 12:
        raise DateError(f"{m}월은 없는 달입니다")
    if y is None:
        y = today.year if m <= today.month else today.year - 1
    start = date(y, m, 1)
    end = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
    return _abs(start, min(end, today) if start <= today else end)


_Y = r"(?:(\d{4})\s*[-./년]\s*)?"
_PATTERNS: list[tuple[str, callable]] = [
    # ISO ranges: 2025-08-01~2025-08-08, 2025.08.01 - 2025.08.08, from 2025-08-01 to 2025-08-08
    (r"(?:from\s+|between\s+)?(\d{4})[-./](\d{1,2})[-./](\d{1,2})\.?\s*(?:~|–|-|부터|에서|to|until|through|and)\s*"
     r"(?:(\d{4})[-./])?(\d{1,2})[-./](\d{1,2})\.?\s*(?:까지)?",
     lambda m, t: _abs(_ymd(int(m[1]), int(m[2]), int(m[3]), t),
                       _ymd(int(m[4] or m[1]), int(m[5]), int(m[6]), t))),
    # 8월 1일부터 8일까지, 8월 1일~8월 8일, 8월 1일에서 9월 2일 사이
    (_Y + r"(\d{1,2})\s*월\s*(\d{1,2})\s*일\s*(?:부터|~|-|에서)\s*(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일\s*(?:까지|사이)?",
     lambda m, t: _abs(_ymd(int(m[1]) if m[1] else None, int(m[2]), int(m[3]), t),
                       _ymd(int(m[1]) if m[1] else None, int(m[4] or m[2]), int(m[5]), t))),
    # 8/1~8/8
    (r"(\d{1,2})/(\d{1,2})\s*(?:~|-|부터|to)\s*(\d{1,2})/(\d{1,2})\s*(?:까지)?",
     lambda m, t: _abs(_ymd(None, int(m[1]), int(m[2]), t), _ymd(None, int(m[3]), int(m[4]), t))),
    # aug 1 - aug 8, from august 1 to august 8, between aug 1 and 8
    (r"(?:from\s+|between\s+)?" + _MON + r"\s*(\d{1,2})(?:st|nd|rd|th)?\s*(?:-|~|to|until|through|and)\s*(?:"
     + _MON + r"\s*)?(\d{1,2})(?:st|nd|rd|th)?",
     lambda m, t: _abs(_ymd(None, MONTHS[m[1]], int(m[2]), t),
                       _ymd(None, MONTHS[m[3] or m[1]], int(m[4]), t))),
    # single ISO date: 2025-08-08, on 2025.08.08
    (r"(?:on\s+)?(\d{4})[-./](\d{1,2})[-./](\d{1,2})\.?(?:\s*(?:하루|당일))?",
     lambda m, t: _abs(*(2 * [_ymd(int(m[1]), int(m[2]), int(m[3]), t)]))),
    # 8월 8일, 2025년 8월 8일
    (_Y + r"(\d{1,2})\s*월\s*(\d{1,2})\s*일(?:\s*(?:하루|당일))?",
     lambda m, t: _abs(*(2 * [_ymd(int(m[1]) if m[1] else None, int(m[2]), int(m[3]), t)]))),
    (r"(?:on\s+)?" + _MON + r"\s*(\d{1,2})(?:st|nd|rd|th)?\b",
     lambda m, t: _abs(*(2 * [_ymd(None, MONTHS[m[1]], int(m[2]), t)]))),
    # 2025년 8월, 8월 (whole month, up to today)
    (r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월(?:\s*(?:한\s*달|전체|동안))?(?!\s*\d)",
     lambda m, t: _month(int(m[1]) if m[1] else None, int(m[2]), t)),
    (r"(?:in\s+)?(january|february|march|april|june|july|august|september|october|november|december)",
     lambda m, t: _month(None, MONTHS[m[1][:3]], t)),
    # relative
    (r"(?:최근|지난|요\s*|past\s+|last\s+|the\s+last\s+|the\s+past\s+)\s*" + _NUMW + r"\s*(일|주일?|개월|달|days?|weeks?|months?)"
     r"(?:\s*(?:간|동안|사이))?",
     lambda m, t: Window(type="last_n", n=to_int(m[1]), unit=_unit(m[2]))),
    (r"최근\s*(일주일|한\s*주|한\s*달)(?:\s*(?:간|동안))?",
     lambda m, t: Window(type="last_n", n=1, unit="month" if "달" in m[1] else "week")),
    (r"오늘|today", lambda m, t: Window(type="named", name="today")),
    (r"어제|yesterday", lambda m, t: Window(type="named", name="yesterday")),
    (r"그제|그저께|day before yesterday", lambda m, t: Window(type="named", name="day_before_yesterday")),
    (r"이번\s*주|금주|this\s+week", lambda m, t: Window(type="named", name="this_week")),
    (r"지난\s*주|저번\s*주|전주|last\s+week", lambda m, t: Window(type="named", name="last_week")),
    (r"이번\s*달|이달|금월|this\s+month", lambda m, t: Window(type="named", name="this_month")),
    (r"지난\s*달|저번\s*달|전월|last\s+month", lambda m, t: Window(type="named", name="last_month")),
]
_COMPILED = [(re.compile(p), f) for p, f in _PATTERNS]
_FILLER_AFTER = re.compile(r"\s*(?:동안|사이|기간|중|에|에는|의|에서|부터|까지)?")


def _unit(u: str) -> str:
    if u.startswith(("일", "day")):
        return "day"
    if u.startswith(("주", "week")):
        return "week"
    return "month"


def find_window(text: str, today: date) -> tuple[list[tuple[Window, tuple[int, int]]], list[str]]:
    """All periods named in ``text`` as (window, span), plus errors for impossible dates."""
    found: list[tuple[Window, tuple[int, int]]] = []
    taken = [False] * len(text)
    errors: list[str] = []
    for rx, build in _COMPILED:
        for m in rx.finditer(text):
            a, b = m.span()
            if any(taken[a:b]) or not _bounded(text, a, b):
                continue
            try:
                w = build(m, today)
            except DateError as exc:
                errors.append(str(exc))
                w = None
            for i in range(a, b):
                taken[i] = True
            if w is not None:
                found.append((w, (a, b)))
    found.sort(key=lambda x: x[1])
    return found, errors


def _bounded(text: str, a: int, b: int) -> bool:
    """Latin matches must be whole words ("today" not inside "todays"); Korean needs no check."""
    before = text[a - 1] if a > 0 else " "
    after = text[b] if b < len(text) else " "
    if text[a].isascii() and text[a].isalnum() and before.isascii() and before.isalnum():
        return False
    if text[b - 1].isascii() and text[b - 1].isalpha() and after.isascii() and after.isalpha():
        return False
    return True
