"""Over any year and any IANA zone, a daily schedule runs exactly once on each local date and a
monthly one exactly once in each month (hypothesis), at the wall time set, or, when the clocks skip
that time, later by the gap (or at the day's last minute before a gap that reaches midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm.platform.recurrence import Recurrence, _zones

ZONES = st.sampled_from(sorted(_zones()))
YEARS = st.integers(min_value=1970, max_value=2100)
TIMES = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 45, 59]))


def year_runs(recurrence: Recurrence, year: int) -> list[datetime]:
    """Every run whose local date is in `year`."""
    zone = recurrence.zone
    start = datetime(year, 1, 1, tzinfo=zone) - timedelta(days=2)
    out = []
    for instant in recurrence.occurrences(start):
        local = instant.astimezone(zone)
        if local.year > year:
            return out
        if local.year == year:
            out.append(local)
    return out


def date_exists(day: date, zone: ZoneInfo) -> bool:
    """Whether `day` happened in the zone (Pacific/Apia skipped 2011-12-30)."""
    return any(
        datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC).astimezone(zone).date() == day for hour in (0, 12, 23)
    )


def wall_time_exists(local: datetime, zone: ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


@settings(max_examples=60, deadline=None)
@given(zone=ZONES, year=YEARS, time=TIMES)
@example(zone="Europe/Paris", year=2027, time="02:30")
@example(zone="America/Nuuk", year=2027, time="23:30")  # its gap, 23:00 -> 00:00, reaches midnight
@example(zone="Asia/Singapore", year=1981, time="23:45")  # 23:30 -> 00:00 on 1981-12-31
@example(zone="Pacific/Apia", year=2011, time="10:00")  # 2011-12-30 never happened
def test_a_daily_schedule_runs_once_on_every_local_date(zone, year, time):
    recurrence = Recurrence(frequency="daily", time=time, timezone=zone)
    tz = recurrence.zone
    local_runs = year_runs(recurrence, year)
    dates = [r.date() for r in local_runs]
    assert len(dates) == len(set(dates)), "a date ran twice"
    every_day = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    assert set(dates) == {d for d in every_day if date_exists(d, tz)}, "a date did not run"
    instants = [r.astimezone(UTC) for r in local_runs]
    assert instants == sorted(set(instants))
    hours, minutes = map(int, time.split(":"))
    for run in local_runs:
        set_time = run.replace(hour=hours, minute=minutes)
        if (run.hour, run.minute) == (hours, minutes):
            continue
        # that time was skipped on that date: it ran after the gap, or, the gap reaching midnight,
        # at the last minute before it
        assert not wall_time_exists(set_time, tz)
        after_gap = run > set_time
        before_gap_at_day_end = all(
            not wall_time_exists(run + timedelta(minutes=m), tz) for m in range(1, (set_time - run).seconds // 60 + 1)
        )
        assert after_gap or before_gap_at_day_end


@settings(max_examples=60, deadline=None)
@given(
    zone=ZONES,
    year=YEARS,
    time=TIMES,
    on=st.one_of(
        st.builds(lambda d: {"day_of_month": d}, st.one_of(st.integers(1, 31), st.just("last"))),
        st.builds(
            lambda w, d: {"week_of_month": w, "weekday": d},
            st.one_of(st.integers(1, 4), st.just("last")),
            st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        ),
    ),
)
@example(zone="Pacific/Apia", year=2011, time="10:00", on={"day_of_month": 30})
@example(zone="America/Nuuk", year=2030, time="23:30", on={"week_of_month": "last", "weekday": "sat"})
def test_a_monthly_schedule_runs_once_in_every_month(zone, year, time, on):
    recurrence = Recurrence(frequency="monthly", time=time, timezone=zone, **on)
    months = [r.month for r in year_runs(recurrence, year)]
    assert months == list(range(1, 13))
