"""Korean shopping calendar: seasons and occasions a promotion is planned around.

설날 and 추석 follow the lunar calendar, so their dates are a table (2024-2030, the main day);
the rest are fixed dates or rules (블랙프라이데이 = the day after the fourth Thursday of November).
A plan is prepared ahead: an occasion counts when it falls within ``horizon`` days from the date
asked about, or is going on now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

SEOLLAL = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 7),
           2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}
CHUSEOK = {2024: date(2024, 9, 17), 2025: date(2025, 10, 6), 2026: date(2026, 9, 25), 2027: date(2027, 9, 15),
           2028: date(2028, 10, 3), 2029: date(2029, 9, 22), 2030: date(2030, 9, 12)}
FIRST_YEAR, LAST_YEAR = min(SEOLLAL), max(SEOLLAL)


@dataclass(frozen=True)
class Occasion:
    name: str
    start: date
    end: date          # inclusive
    tag: str           # the library's tag for plans written for it

    def days_until(self, day: date) -> int:
        return max(0, (self.start - day).days)


def season_of(day: date) -> str:
    return {12: "겨울", 1: "겨울", 2: "겨울", 3: "봄", 4: "봄", 5: "봄",
            6: "여름", 7: "여름", 8: "여름"}.get(day.month, "가을")


def black_friday(year: int) -> date:
    nov1 = date(year, 11, 1)
    first_thursday = nov1 + timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thursday + timedelta(days=21 + 1)


def occasions_in_year(year: int) -> list[Occasion]:
    d = date
    out = [
        Occasion("발렌타인데이", d(year, 2, 14), d(year, 2, 14), "발렌타인"),
        Occasion("화이트데이", d(year, 3, 14), d(year, 3, 14), "화이트데이"),
        Occasion("신학기", d(year, 2, 20), d(year, 3, 10), "신학기"),
        Occasion("가정의 달", d(year, 5, 1), d(year, 5, 31), "가정의달"),
        Occasion("어린이날", d(year, 5, 5), d(year, 5, 5), "어린이날"),
        Occasion("어버이날", d(year, 5, 8), d(year, 5, 8), "어버이날"),
        Occasion("여름 휴가철", d(year, 7, 15), d(year, 8, 15), "여름휴가"),
        Occasion("코리아세일페스타", d(year, 11, 1), d(year, 11, 15), "세일페스타"),
        Occasion("빼빼로데이", d(year, 11, 11), d(year, 11, 11), "빼빼로데이"),
        Occasion("블랙프라이데이", black_friday(year), black_friday(year) + timedelta(days=3), "블랙프라이데이"),
        Occasion("크리스마스", d(year, 12, 25), d(year, 12, 25), "크리스마스"),
        Occasion("연말", d(year, 12, 1), d(year, 12, 31), "연말"),
    ]
    if year in SEOLLAL:
        s = SEOLLAL[year]
        out.append(Occasion("설날", s - timedelta(days=1), s + timedelta(days=1), "명절"))
    if year in CHUSEOK:
        c = CHUSEOK[year]
        out.append(Occasion("추석", c - timedelta(days=1), c + timedelta(days=1), "명절"))
    return out


def occasions_near(day: date, horizon: int = 35) -> list[Occasion]:
    """Occasions going on at ``day`` or starting within ``horizon`` days, soonest first."""
    found = []
    for year in (day.year, day.year + 1):
        for occ in occasions_in_year(year):
            if occ.end >= day and (occ.start - day).days <= horizon:
                found.append(occ)
    return sorted(found, key=lambda o: (o.days_until(day), o.start))


def calendar_known(day: date) -> bool:
    """Lunar holidays are tabled for 2024-2030 only; outside that the answer says so."""
    return FIRST_YEAR <= day.year <= LAST_YEAR
