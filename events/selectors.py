"""ClickHouse reads behind the Events page. Every query binds the client's id; none takes SQL
from the request. Days are the client's local days (DESIGN.md §5).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from . import catalog, clickhouse


@dataclass(frozen=True)
class DailyCounts:
    days: list[date]
    # code -> one count per day, aligned with ``days``
    counts: dict[int, list[int]]
    start: datetime  # UTC bounds of the window, [start, end)
    end: datetime

    def as_dict(self) -> dict:
        series = []
        for code, values in sorted(self.counts.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
            et = catalog.BY_CODE.get(code)
            series.append({
                "code": code,
                "name": et.name if et else str(code),
                "label_ko": et.label_ko if et else str(code),
                "label_en": et.label_en if et else str(code),
                # A start/end pair is one view; charts hide the *_end half by default.
                "is_end": code in catalog.END_CODES,
                "counts": values,
                "total": sum(values),
            })
        return {
            "days": [d.isoformat() for d in self.days],
            "series": series,
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
        }


@dataclass(frozen=True)
class LiveStatus:
    last_5_minutes: int
    last_event_at: datetime | None  # newest event received in the last 24 h, if any

    @property
    def installed(self) -> bool:
        return self.last_event_at is not None


def _local_midnight_utc(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)


def event_daily_counts(*, client, days: int = 30, today: date | None = None) -> DailyCounts:
    """Events per local day and type over the ``days`` days ending today (inclusive)."""
    tz = client.tzinfo
    today = today or datetime.now(tz).date()
    first = today - timedelta(days=days - 1)
    start, end = _local_midnight_utc(first, tz), _local_midnight_utc(today + timedelta(days=1), tz)
    rows = clickhouse.query(
        """
        SELECT toDate(created_at, {tz:String}) AS day, event_type, count() AS n
        FROM event
        WHERE client_id = {client_id:Int32}
          AND created_at >= {start:DateTime64(6, 'UTC')} AND created_at < {end:DateTime64(6, 'UTC')}
        GROUP BY day, event_type
        ORDER BY day, event_type
        """,
        {"client_id": client.pk, "tz": client.timezone, "start": start, "end": end},
    ).rows
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    counts: dict[int, list[int]] = {}
    for day, code, n in rows:
        if day in index:
            counts.setdefault(int(code), [0] * days)[index[day]] = int(n)
    return DailyCounts(days=day_list, counts=counts, start=start, end=end)


def event_live_status(*, client, now: datetime | None = None) -> LiveStatus:
    """Events received in the last 5 minutes, and the newest one of the last 24 hours.

    The window ends a few minutes after ``now`` because browsers' clocks run a little ahead;
    the collector refuses anything further in the future.
    """
    now = now or datetime.now(timezone.utc)
    rows = clickhouse.query(
        """
        SELECT countIf(created_at >= {five:DateTime64(6, 'UTC')}) AS recent,
               count() AS day_total,
               max(created_at) AS last_at
        FROM event
        WHERE client_id = {client_id:Int32}
          AND created_at >= {day:DateTime64(6, 'UTC')} AND created_at < {until:DateTime64(6, 'UTC')}
        """,
        {
            "client_id": client.pk,
            "five": now - timedelta(minutes=5),
            "day": now - timedelta(hours=24),
            "until": now + timedelta(minutes=5),
        },
    ).rows
    recent, day_total, last_at = rows[0] if rows else (0, 0, None)
    if not day_total:
        last_at = None
    elif last_at is not None and last_at.tzinfo is None:
        last_at = last_at.replace(tzinfo=timezone.utc)
    return LiveStatus(last_5_minutes=int(recent), last_event_at=last_at)
