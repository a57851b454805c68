"""EventBridge Scheduler / EventBridge rule schedule expressions: at(), cron() and rate().

`parse(expression, timezone)` gives an object with two questions the scheduler runner asks:

* `latest(now, anchor)`: the latest occurrence at or before `now` (None if there is none yet);
* `next_after(after, anchor)`: the first occurrence strictly after `after` (None if never).

`anchor` is when a recurring schedule started counting (its creation or StartDate): rate()
occurrences are anchor + k * period (k >= 1); at() and cron() ignore it.

AWS cron has six fields (minutes hours day-of-month month day-of-week year), `?` for "no
specific value", day-of-week 1-7 = SUN-SAT (or names), `L` (last) and `#` (nth weekday). It is
translated to croniter's five-field syntax; the year field is checked separately. `W` (nearest
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


def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AtExpression:
    text: str
    when: datetime  # aware, in the schedule's time zone

    kind = "at"
    one_off = True

    def latest(self, now: datetime, anchor: datetime | None = None) -> datetime | None:
        return self.when if self.when <= _aware(now) else None

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        return self.when if self.when > _aware(after) else None


@dataclass(frozen=True)
class RateExpression:
    text: str
    period: timedelta

    kind = "rate"
    one_off = False

    def latest(self, now: datetime, anchor: datetime | None = None) -> datetime | None:
        anchor = _aware(anchor or now)
        periods = int((_aware(now) - anchor) / self.period)
        return anchor + periods * self.period if periods >= 1 else None

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        after = _aware(after)
        anchor = _aware(anchor or after)
        if after < anchor:
            return anchor + self.period
        return anchor + (int((after - anchor) / self.period) + 1) * self.period


@dataclass(frozen=True)
class CronExpression:
    text: str
    croniter_expression: str  # five fields
    years: frozenset[int] | None  # None: every year
    tz: ZoneInfo

    kind = "cron"
    one_off = False
    _MAX_STEPS = 2000  # bounded search when the year field filters occurrences

    def _iterate(self, start: datetime, backwards: bool) -> datetime | None:
        it = croniter(self.croniter_expression, start.astimezone(self.tz))
        for _ in range(self._MAX_STEPS):
            t = it.get_prev(datetime) if backwards else it.get_next(datetime)
            if self.years is None or t.year in self.years:
                return t
            if self.years and ((backwards and t.year < min(self.years)) or (not backwards and t.year > max(self.years))):
                return None
        return None

    def latest(self, now: datetime, anchor: datetime | None = None) -> datetime | None:
        # croniter's get_prev is strict; start one second later so an occurrence at `now` counts.
        start = _aware(now).replace(microsecond=0) + timedelta(seconds=1)
        return self._iterate(start, backwards=True)

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        return self._iterate(_aware(after), backwards=False)


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
            lo, hi = 1970, 2199
        elif "-" in rng:
            lo, hi = (int(x) for x in rng.split("-", 1))
        else:
            lo = hi = int(rng)
            if step:
                hi = 2199
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
    tz = _zone(timezone_name)
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
