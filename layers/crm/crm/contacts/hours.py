"""Opening hours of a site, and planned windows and working time measured against them.

Each local day's intervals become UTC instants through zoneinfo, so DST is the tz database's
business: a day can be 23 or 25 hours long, a wall time skipped by a spring-forward maps with the
pre-transition offset (fold=0) and a repeated one to its first occurrence. All comparisons and
arithmetic are done in UTC, because Python compares and subtracts two datetimes sharing a tzinfo by
wall time, which is wrong across a DST change.
"""

import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator

from crm.platform.i18n import joined, tr
from crm.platform.types import TimeZone

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

Span = tuple[datetime, datetime]  # [start, end) in UTC


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class Interval(BaseModel):
    """[open, close) in local wall time; close 24:00 is the midnight ending the day.

    open < close and overlaps are checked by OpeningHours, which can name the day.
    """

    model_config = ConfigDict(extra="forbid")

    open: str
    close: str

    @field_validator("open")
    @classmethod
    def _check_open(cls, value: str) -> str:
        if not _HHMM.fullmatch(value):
            raise ValueError(tr("open '{value}' must be HH:MM from 00:00 to 23:59", value=value))
        return value

    @field_validator("close")
    @classmethod
    def _check_close(cls, value: str) -> str:
        if value != "24:00" and not _HHMM.fullmatch(value):
            raise ValueError(tr("close '{value}' must be HH:MM from 00:01 to 24:00", value=value))
        return value

    @property
    def label(self) -> str:
        return f"{self.open}–{self.close}"


class OpeningHours(BaseModel):
    """Weekly opening hours in a site's time zone; days absent from `weekly` are closed."""

    model_config = ConfigDict(extra="forbid")

    time_zone: TimeZone
    weekly: dict[Day, list[Interval]]

    @field_validator("weekly")
    @classmethod
    def _check_weekly(cls, weekly: dict[Day, list[Interval]]) -> dict[Day, list[Interval]]:
        problems = []
        for day, intervals in weekly.items():
            for i, interval in enumerate(intervals):
                if _minutes(interval.open) >= _minutes(interval.close):
                    where = dict(day=day, interval=str(i), hours=interval.label)
                    problems.append(
                        tr("{day} interval {interval} ({hours}): open must be before close (write midnight as 24:00)", **where)
                        if interval.close == "00:00"
                        else tr("{day} interval {interval} ({hours}): open must be before close", **where)
                    )
            ordered = sorted((iv for iv in intervals if _minutes(iv.open) < _minutes(iv.close)), key=lambda iv: _minutes(iv.open))
            for a, b in itertools.pairwise(ordered):
                if _minutes(b.open) < _minutes(a.close):
                    problems.append(tr("{day}: {first} overlaps {second}", day=day, first=a.label, second=b.label))
        if not any(weekly.values()):
            problems.append(tr("a site open at no time has no opening hours to plan in; leave opening_hours out for one open 24/7"))
        if problems:
            raise ValueError(joined(problems))
        return {day: sorted(weekly[day], key=lambda iv: _minutes(iv.open)) for day in DAYS if day in weekly}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class WindowCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    within: bool
    reasons: list[str]  # one per day segment outside opening hours, in the site's local time
    local_start: str  # ISO 8601 in the site's time zone (UTC when there are no opening hours)
    local_end: str


def check_window(hours: OpeningHours | None, start: datetime, end: datetime) -> WindowCheck:
    """Whether every instant of [start, end) falls in opening hours; None hours means open 24/7."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        raise ValueError(tr("end must be after start"))
    if hours is None:
        return WindowCheck(within=True, reasons=[], local_start=start.isoformat(), local_end=end.isoformat())
    tz = hours.zone
    reasons = []
    for day, day_start, day_end in _local_days(tz, start, end):
        openings = _openings(hours, day)
        for gap in _gaps((max(start, day_start), min(end, day_end)), openings):
            reasons.append(_reason(hours, day, gap, day_end, openings))
    return WindowCheck(
        within=not reasons,
        reasons=reasons,
        local_start=start.astimezone(tz).isoformat(),
        local_end=end.astimezone(tz).isoformat(),
    )


def add_working_time(hours: OpeningHours | None, start: datetime, duration: timedelta) -> datetime:
    """The UTC instant at which `duration` of opening time has elapsed since `start`."""
    start = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(tr("duration must not be negative"))
    if hours is None:
        return start + duration
    weekly_open = sum(_minutes(iv.close) - _minutes(iv.open) for ivs in hours.weekly.values() for iv in ivs)
    if not weekly_open:
        raise ValueError(tr("opening hours have no opening interval, so working time never elapses"))
    if not duration:
        return start
    remaining = duration
    day = start.astimezone(hours.zone).date()
    # A week holds about weekly_open of opening time (a DST change moves it by an hour at most), so
    # twice the weeks needed, plus the partial first one, is ample.
    for _ in range(7 * (2 * math.ceil(duration / timedelta(minutes=weekly_open)) + 1)):
        for open_at, close_at in _openings(hours, day):
            begin = max(open_at, start)
            if begin >= close_at:
                continue
            if remaining <= close_at - begin:
                return begin + remaining
            remaining -= close_at - begin
        day += timedelta(days=1)
    raise ValueError(tr("{duration} of working time does not elapse within the opening hours' next weeks", duration=str(duration)))


def _utc(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(tr("{name} must be timezone-aware", name=name))
    return value.astimezone(UTC)


def _instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """UTC instant of a local wall time `minutes` after the start of `day` (1440 is next midnight)."""
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _local_days(tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[tuple[date, datetime, datetime]]:
    """Local dates touched by [start, end), each with its own [midnight, next midnight) in UTC."""
    day = start.astimezone(tz).date()
    while (day_start := _instant(day, 0, tz)) < end:
        yield day, day_start, _instant(day, 24 * 60, tz)
        day += timedelta(days=1)


def _openings(hours: OpeningHours, day: date) -> list[Span]:
    tz = hours.zone
    intervals = hours.weekly.get(DAYS[day.weekday()], [])
    return [(_instant(day, _minutes(iv.open), tz), _instant(day, _minutes(iv.close), tz)) for iv in intervals]


def _gaps(segment: Span, openings: list[Span]) -> Iterator[Span]:
    """Parts of `segment` outside the sorted, disjoint `openings`."""
    cursor, end = segment
    for open_at, close_at in openings:
        if open_at > cursor:
            yield cursor, min(open_at, end)
        cursor = max(cursor, close_at)
        if cursor >= end:
            return
    yield cursor, end


def _reason(hours: OpeningHours, day: date, gap: Span, day_end: datetime, openings: list[Span]) -> str:
    """Why a part of a window is outside the hours (a message: its day reads in the reader's locale)."""
    if not openings:
        return tr("{day}: closed", day=day)
    gap_start, gap_end = gap
    tz = hours.zone
    until = "24:00" if gap_end == day_end else f"{gap_end.astimezone(tz):%H:%M}"
    where = {
        "day": day,
        "window": f"{gap_start.astimezone(tz):%H:%M}–{until}",
        "zone": hours.time_zone,
        "hours": ", ".join(iv.label for iv in hours.weekly[DAYS[day.weekday()]]),
    }
    if gap_end <= openings[0][0]:
        return tr("{day} {window} ({zone}) is before opening ({hours})", **where)
    if gap_start >= openings[-1][1]:
        return tr("{day} {window} ({zone}) is after closing ({hours})", **where)
    return tr("{day} {window} ({zone}) is between opening hours ({hours})", **where)
