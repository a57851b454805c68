"""EventBridge Scheduler's schedule expressions, at(), cron() and rate(), read as AWS reads them.

`parse(expression, timezone)` gives an object answering one question for the scheduler runner:
`next_after(after, anchor)`, the first occurrence strictly after `after` (None if none).

The rules copied from the EventBridge Scheduler User Guide ("Schedule types", "Daylight saving
time"), each with a test in tests/integration/test_local_scheduler_rules.py:

* cron() is evaluated on the wall clock of ScheduleExpressionTimezone. "When the time shifts forward
  in the Spring, if a cron expression falls on a non-existent date and time, your schedule
  invocation is skipped. When the time shifts backwards in the Fall, your schedule runs only once":
  a wall time in the gap gives no occurrence; one in the overlap gives its first instance only
  (AWS does not say which of the two; this runner takes the first).
* rate() is elapsed time: occurrences are anchor + k x period, k >= 0, where the anchor is the
  StartDate or, without one, when the schedule was first seen ("starts invoking the target
  immediately"). A day is 24 hours, so across a DST change the wall time moves by an hour.
* at() is one occurrence, its wall time read in the schedule's time zone.

AWS cron has six fields (minutes hours day-of-month month day-of-week year), `?` for "no specific
value", day-of-week 1-7 = SUN-SAT (or names), `L` (last) and `#` (nth weekday). Its wall-clock
matches come from croniter on naive datetimes; the year field is checked here. `W` (nearest
weekday) is not supported locally and raises ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_LAST_YEAR = 2199  # the cron year field's upper bound


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def wall_time_exists(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether a naive wall-clock time happens at all in `tz` (False inside a spring-forward gap)."""
    return _aware(wall.replace(tzinfo=tz)).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(fold=0)


@dataclass(frozen=True)
class AtExpression:
    text: str
    when: datetime  # aware, in the schedule's time zone

    one_off = True

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        return self.when if self.when > _aware(after) else None


@dataclass(frozen=True)
class RateExpression:
    text: str
    period: timedelta

    one_off = False

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        after = _aware(after)
        anchor = _aware(anchor or after)
        if after < anchor:
            return anchor
        return anchor + (int((after - anchor) / self.period) + 1) * self.period


@dataclass(frozen=True)
class CronExpression:
    text: str
    croniter_expression: str  # five fields, matched on the naive wall clock
    years: frozenset[int] | None  # None: every year
    tz: ZoneInfo

    one_off = False
    _MAX_STEPS = 10_000  # bounds the search (an expression that only ever matches inside a gap)

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        after = _aware(after).astimezone(UTC)
        # A wall time earlier than `after`'s can still be a later instant when the offset drops
        # (autumn) within the next day: start that much earlier on the wall clock.
        offset_now, offset_later = after.astimezone(self.tz).utcoffset(), (after + timedelta(days=1)).astimezone(self.tz).utcoffset()
        drop = max((offset_now or timedelta(0)) - (offset_later or timedelta(0)), timedelta(0))
        matches = croniter(self.croniter_expression, after.astimezone(self.tz).replace(tzinfo=None) - drop - timedelta(minutes=1))
        for _ in range(self._MAX_STEPS):
            wall: datetime = matches.get_next(datetime)
            if self.years is not None and wall.year not in self.years:
                later = [y for y in self.years if y > wall.year]
                if not later:
                    return None
                matches = croniter(self.croniter_expression, datetime(min(later), 1, 1) - timedelta(minutes=1))
                continue
            if wall.year > _LAST_YEAR:
                return None
            if not wall_time_exists(wall, self.tz):
                continue  # in the spring gap: AWS skips it
            instant = wall.replace(tzinfo=self.tz, fold=0).astimezone(UTC)  # the overlap: its first instance only
            if instant > after:
                return instant.astimezone(self.tz)
        return None


ScheduleExpression = AtExpression | RateExpression | CronExpression

_DOW_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}


def _dow_day(token: str) -> str:
    """One AWS day-of-week value (1-7 or a name) -> croniter's (0-6 or a name)."""
    if token.upper() in _DOW_NAMES:
        return token.upper()
    if token.isdigit() and 1 <= int(token) <= 7:
        return str(int(token) - 1)
    raise ValueError(f"invalid day-of-week value {token!r}")


def _dow_field(field: str) -> str:
    if field in ("?", "*"):
        return "*"
    if field.upper() == "L":  # last day of the week: Saturday
        return "6"
    out = []
    for part in field.split(","):
        if "#" in part:
            day, nth = part.split("#", 1)
            out.append(f"{_dow_day(day)}#{nth}")
        elif part.upper().endswith("L"):
            out.append(f"L{_dow_day(part[:-1])}")
        else:
            rng, _, step = part.partition("/")
            bounds = "*" if rng == "*" else "-".join(_dow_day(b) for b in rng.split("-"))
            out.append(bounds + (f"/{step}" if step else ""))
    return ",".join(out)


def _years(field: str) -> frozenset[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            lo, hi = 1970, _LAST_YEAR
        elif "-" in rng:
            lo, hi = (int(x) for x in rng.split("-", 1))
        else:
            lo = hi = int(rng)
            if step:
                hi = _LAST_YEAR
        years.update(range(lo, hi + 1, int(step) if step else 1))
    return frozenset(years)


def aws_cron_to_croniter(fields: str) -> tuple[str, frozenset[int] | None]:
    """'0 10 ? * MON-FRI *' -> ('0 10 * * MON-FRI', None)."""
    parts = fields.split()
    if len(parts) != 6:
        raise ValueError(f"cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got {fields!r}")
    minute, hour, dom, month, dow, year = parts
    if "W" in dom.upper():
        raise ValueError("cron() 'W' (nearest weekday) is not supported by the local scheduler")
    if dom != "?" and dow != "?":
        raise ValueError("cron(): one of day-of-month and day-of-week must be '?'")
    dom = "*" if dom == "?" else dom
    return " ".join([minute, hour, dom, month, _dow_field(dow)]), _years(year)


def parse(expression: str, timezone_name: str | None = None) -> ScheduleExpression:
    """Parse an at()/cron()/rate() expression; raise ValueError if it is not one."""
    text = expression.strip()
    tz = ZoneInfo(timezone_name or "UTC")
    if m := _AT.match(text):
        return AtExpression(text, datetime.fromisoformat(m.group(1)).replace(tzinfo=tz))
    if m := _RATE.match(text):
        n = int(m.group(1))
        if n < 1:
            raise ValueError(f"rate() value must be positive: {text!r}")
        unit = m.group(2).rstrip("s")
        return RateExpression(text, timedelta(seconds=n * _UNIT_SECONDS[unit]))
    if m := _CRON.match(text):
        cron, years = aws_cron_to_croniter(m.group(1))
        if not croniter.is_valid(cron):
            raise ValueError(f"invalid cron expression {text!r} (as croniter: {cron!r})")
        return CronExpression(text, cron, years, tz)
    raise ValueError(f"not a schedule expression: {expression!r}")
