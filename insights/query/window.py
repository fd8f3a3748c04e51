"""Turning an IR ``Window`` into local dates and the UTC instants ``created_at`` is compared with.

Days are the client's local days (DESIGN.md §5): a window [start, end] of local dates is the
half-open UTC range [start 00:00 local, end+1 00:00 local). DST-aware through zoneinfo.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

from .ir import Window

DEFAULT_DAYS = 7  # "no period stated" = today-7 .. today (DESIGN.md §5)


@dataclass(frozen=True)
class ResolvedWindow:
    start: date  # local, inclusive
    end: date  # local, inclusive
    start_utc: datetime  # aware UTC, inclusive
    end_utc: datetime  # aware UTC, exclusive
    label: str = ""  # how the question named it ("최근 7일"); summary falls back to dates

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates_text(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "start_utc": self.start_utc.isoformat(), "end_utc": self.end_utc.isoformat()}


def local_midnight_utc(d: date, tz: str) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).astimezone(dt_timezone.utc)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def local_dates(w: Window, today: date) -> tuple[date, date, str]:
    """(start, end, label) in local dates for a window, relative to the client's local today."""
    if w.type == "default":
        return today - timedelta(days=DEFAULT_DAYS), today, f"최근 {DEFAULT_DAYS}일"
    if w.type == "absolute":
        return w.start, w.end, ""
    if w.type == "last_n":
        n = w.n
        if w.unit == "day":
            return today - timedelta(days=n), today, f"최근 {n}일"
        if w.unit == "week":
            return today - timedelta(days=7 * n), today, f"최근 {n}주"
        return _add_months(today, -n), today, f"최근 {n}개월"
    name = w.name
    if name == "today":
        return today, today, "오늘"
    if name == "yesterday":
        d = today - timedelta(days=1)
        return d, d, "어제"
    if name == "day_before_yesterday":
        d = today - timedelta(days=2)
        return d, d, "그제"
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return monday, today, "이번 주"
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1), "지난주"
    first = today.replace(day=1)
    if name == "this_month":
        return first, today, "이번 달"
    if name == "last_month":
        last = first - timedelta(days=1)
        return last.replace(day=1), last, "지난달"
    raise ValueError(f"unknown window {w!r}")


def resolve(w: Window | None, *, today: date, tz: str) -> ResolvedWindow:
    start, end, label = local_dates(w or Window(), today)
    return ResolvedWindow(start, end, local_midnight_utc(start, tz),
                          local_midnight_utc(end + timedelta(days=1), tz), label)
