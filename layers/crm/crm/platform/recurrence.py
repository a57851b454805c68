"""When a recurring job runs, as its owner sets it: daily, weekly on chosen weekdays, monthly on a
day (or the last day) or on a week of the month (the second Tuesday, the last Friday), at a time of
day in an IANA time zone, optionally from a start date to an end date.

`Recurrence` is the validated model (a 422 names each bad field: 24:00, 02:61, an unknown zone, day
0 or 32, week 6, an end before its start) and computes the occurrences as UTC instants:

* a time inside the spring-forward gap runs that day, later by the gap (02:30 in Paris on
  2027-03-28 runs at 03:30 CEST): a clock that jumps loses no occurrence; where the gap runs to
  midnight (America/Nuuk: 23:00 -> 00:00), at the day's last minute before it, so the next day
  does not run twice;
* a time inside the autumn overlap runs once, at its first (summer time) instance;
* "monthly on the 29th, 30th or 31st" runs on the last day of a shorter month; "last" is the last day;
* a date that does not exist in the zone (Pacific/Apia skipped 2011-12-30) gives no second run on
  the next day: the occurrences are strictly increasing instants.

Those instants are what crm.platform.scheduling arms in EventBridge Scheduler (one-time `at()` in
UTC), so AWS fires exactly these and no DST rule of Scheduler's comes into play.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from crm.platform import clock
from crm.platform.i18n import tr

if TYPE_CHECKING:
    from dateutil.rrule import rrule

NEXT_RUNS = 12  # what an owner shows: the next 12 runs of each schedule

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_NOT_ZONES = {"Factory", "localtime"}  # files in the tz database that name no place's time


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_ZONES)


def _positive_or_last(value: Any, highest: int, refusal: str) -> int | str | None:
    """1..highest or "last" (JSON numbers, or their text from a form); else ValueError(refusal)."""
    if value is None or value == "last":
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
        raise ValueError(refusal)
    return value


class Recurrence(BaseModel):
    """A recurring schedule as its owner sets it, in the owner's time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frequency: Literal["daily", "weekly", "monthly"]
    time: str = Field(
        description="Time of day, HH:MM on a 24-hour clock, in `timezone`.",
        examples=["02:30"],
        json_schema_extra={"pattern": _TIME.pattern},  # documented for clients; the validator below says what is wrong
    )
    timezone: str = Field(description="IANA time zone the time is read in.", examples=["Europe/Paris"])
    weekdays: list[Weekday] | None = Field(None, validate_default=True, description="Weekly only: the days it runs.")
    day_of_month: int | Literal["last"] | None = Field(
        None, validate_default=True, description='Monthly on a date: 1-31 (29-31 run on the last day of a shorter month) or "last".'
    )
    week_of_month: int | Literal["last"] | None = Field(
        None, validate_default=True, description='Monthly on a weekday: which one of the month, 1-4 or "last" (with `weekday`).'
    )
    weekday: Weekday | None = Field(None, validate_default=True, description="With `week_of_month`: the day, e.g. tue.")
    starts_on: date | None = Field(None, description="First date it may run (in `timezone`); none: from now.")
    ends_on: date | None = Field(None, validate_default=True, description="Last date it may run (in `timezone`); none: for ever.")

    @field_validator("time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(tr("must be a time of day HH:MM from 00:00 to 23:59"))
        return value

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError(tr("'{value}' is not an IANA time zone, e.g. Europe/Paris", value=value))
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekly_days(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        frequency = info.data.get("frequency")
        if frequency == "weekly" and not value:
            raise ValueError(tr('is required for a weekly schedule: at least one day, e.g. ["mon"]'))
        if frequency not in (None, "weekly") and value is not None:
            raise ValueError(tr("is for weekly schedules only"))
        if value is not None and len(set(value)) != len(value):
            raise ValueError(tr("names a day twice"))
        return sorted(value, key=WEEKDAYS.index) if value is not None else None

    @field_validator("day_of_month", mode="before")
    @classmethod
    def _day_of_month(cls, value: Any, info: ValidationInfo) -> Any:
        value = _positive_or_last(value, 31, tr('must be a day of the month from 1 to 31, or "last"'))
        if value is not None and info.data.get("frequency") not in (None, "monthly"):
            raise ValueError(tr("is for monthly schedules only"))
        return value

    @field_validator("week_of_month", mode="before")
    @classmethod
    def _week_of_month(cls, value: Any, info: ValidationInfo) -> Any:
        # No "5": most months have no fifth Tuesday, and "last" says what such a user means.
        value = _positive_or_last(value, 4, tr('must be a week of the month from 1 to 4, or "last"'))
        frequency = info.data.get("frequency")
        if value is not None and frequency not in (None, "monthly"):
            raise ValueError(tr("is for monthly schedules only"))
        if value is not None and info.data.get("day_of_month") is not None:
            raise ValueError(tr("a monthly schedule runs on a day of the month or on a week of the month, not both"))
        if frequency == "monthly" and value is None and info.data.get("day_of_month") is None and not _refused(info, "day_of_month"):
            raise ValueError(tr('is required for a monthly schedule without day_of_month, e.g. 2 (with weekday "tue") or "last"'))
        return value

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str | None, info: ValidationInfo) -> str | None:
        week = info.data.get("week_of_month")
        if week is not None and value is None:
            raise ValueError(tr('is required with week_of_month, e.g. "tue"'))
        if value is not None and week is None and not _refused(info, "week_of_month"):
            raise ValueError(tr('goes with week_of_month (the second Tuesday: week_of_month 2, weekday "tue")'))
        return value

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")
        if value is not None and starts_on is not None and value < starts_on:
            raise ValueError(tr("must not be before starts_on"))
        return value

    # ---------------------------------------------------------------- occurrences

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def time_of_day(self) -> wall_time:
        hours, minutes = self.time.split(":")
        return wall_time(int(hours), int(minutes))

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        """The runs strictly after `after`, as UTC instants, strictly increasing, for ever (or to ends_on)."""
        zone, last = self.zone, after.astimezone(UTC)
        # Start two local days early: a run shifted out of the spring gap is later than its wall time.
        begin = after.astimezone(zone).date() - timedelta(days=2)
        if self.starts_on is not None and self.starts_on > begin:
            begin = self.starts_on
        for wall in self._rule(begin):
            if self.ends_on is not None and wall.date() > self.ends_on:
                return
            instant = _instant(wall, zone)
            if instant > last:
                last = instant
                yield instant

    def upcoming(self, count: int = NEXT_RUNS, after: datetime | None = None) -> list[datetime]:
        """The next `count` runs after `after` (default now), in the owner's zone, to show them."""
        zone, runs = self.zone, []
        for instant in self.occurrences(after or clock.now()):
            runs.append(instant.astimezone(zone))
            if len(runs) == count:
                break
        return runs

    def next_after(self, after: datetime) -> datetime | None:
        return next(self.occurrences(after), None)

    def is_occurrence(self, instant: datetime) -> bool:
        """Whether `instant` is one of the runs (a delivery for a schedule since changed is not)."""
        return self.next_after(instant - timedelta(seconds=1)) == instant.astimezone(UTC)

    def _rule(self, begin: date) -> rrule:
        """The wall-clock times of the runs from `begin` (naive, in the zone)."""
        from dateutil import rrule as rr  # ~30 ms: loaded by the functions that compute runs only

        t = self.time_of_day
        start = datetime.combine(begin, t)
        at = {"dtstart": start, "byhour": t.hour, "byminute": t.minute, "bysecond": 0}
        days = [rr.weekdays[WEEKDAYS.index(d)] for d in self.weekdays or ()]
        if self.frequency == "daily":
            return rr.rrule(rr.DAILY, **at)
        if self.frequency == "weekly":
            return rr.rrule(rr.WEEKLY, byweekday=days, **at)
        if self.week_of_month is not None:
            assert self.weekday is not None  # the validators pair them
            nth = -1 if self.week_of_month == "last" else int(self.week_of_month)
            return rr.rrule(rr.MONTHLY, byweekday=rr.weekdays[WEEKDAYS.index(self.weekday)](nth), **at)
        if self.day_of_month == "last":
            return rr.rrule(rr.MONTHLY, bymonthday=-1, **at)
        day = int(self.day_of_month or 1)
        # The 29th-31st: the last of the days up to it that the month has (the 30th in April, the
        # 28th or 29th in February).
        return rr.rrule(rr.MONTHLY, bymonthday=tuple(range(min(day, 28), day + 1)), bysetpos=-1, **at)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """When a run set for `wall` (naive, in `zone`) happens.

    fold=0 reads a wall time in the spring gap with the offset before the gap, so it runs later by
    the gap, and one in the autumn overlap as its first instance. A gap that runs to the end of the
    day (America/Nuuk's 23:00 -> 00:00) would carry the run into the next day, which would then run
    twice: it runs instead at the day's last minute before the gap. A date that never happened at
    all (Pacific/Apia, 2011-12-30) keeps the shifted instant: a monthly run on the 30th runs on the
    31st, and a daily one is the 31st's own run (the caller drops the repeated instant).
    """
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).date() == wall.date():
        return instant
    earlier = wall.replace(second=0, microsecond=0)
    while earlier.time() != wall_time.min:
        earlier -= timedelta(minutes=1)
        moment = earlier.replace(tzinfo=zone).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == earlier:
            return moment
    return instant


def _refused(info: ValidationInfo, earlier_field: str) -> bool:
    """Whether a field validated before this one was refused (it is then absent from info.data): its
    own error says what is wrong, this field's check would only repeat it."""
    return earlier_field not in info.data
