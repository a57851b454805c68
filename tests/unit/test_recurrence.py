"""The runs of a recurring schedule as its owner sets it (crm.platform.recurrence): none lost or
doubled across daylight-saving changes and month ends, in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from crm.platform.recurrence import NEXT_RUNS, Recurrence


def daily(time: str, zone: str, **more) -> Recurrence:
    return Recurrence(frequency="daily", time=time, timezone=zone, **more)


def runs(recurrence: Recurrence, after: datetime, count: int) -> list[str]:
    """The next runs as local wall times with their offset, e.g. 2027-03-28T03:30+02:00."""
    return [r.isoformat(timespec="minutes") for r in recurrence.upcoming(count, after)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- Europe/Paris, the changes of 2027


def test_a_daily_time_inside_the_spring_gap_runs_that_day_later_by_the_gap():
    # 2027-03-28: Paris clocks jump from 02:00 to 03:00; 02:30 does not exist that day.
    assert runs(daily("02:30", "Europe/Paris"), utc(2027, 3, 26, 12), 3) == [
        "2027-03-27T02:30+01:00",
        "2027-03-28T03:30+02:00",
        "2027-03-29T02:30+02:00",
    ]


def test_a_daily_time_inside_the_autumn_overlap_runs_once_at_its_first_instance():
    # 2027-10-31: Paris clocks go back from 03:00 to 02:00; 02:30 happens twice, it runs at the first.
    upcoming = daily("02:30", "Europe/Paris").upcoming(3, utc(2027, 10, 30, 12))
    assert [r.isoformat(timespec="minutes") for r in upcoming] == [
        "2027-10-31T02:30+02:00",
        "2027-11-01T02:30+01:00",
        "2027-11-02T02:30+01:00",
    ]
    assert upcoming[0].astimezone(UTC) == utc(2027, 10, 31, 0, 30)


def test_times_next_to_the_changes_keep_their_wall_time():
    assert runs(daily("01:59", "Europe/Paris"), utc(2027, 3, 27, 12), 2) == ["2027-03-28T01:59+01:00", "2027-03-29T01:59+02:00"]
    assert runs(daily("03:00", "Europe/Paris"), utc(2027, 3, 27, 12), 2) == ["2027-03-28T03:00+02:00", "2027-03-29T03:00+02:00"]
    assert runs(daily("03:00", "Europe/Paris"), utc(2027, 10, 30, 12), 2) == ["2027-10-31T03:00+01:00", "2027-11-01T03:00+01:00"]


def test_a_weekly_time_in_the_gap_runs_that_day_too():
    sundays = Recurrence(frequency="weekly", weekdays=["sun"], time="02:15", timezone="Europe/Paris")
    assert runs(sundays, utc(2027, 3, 20), 3) == ["2027-03-21T02:15+01:00", "2027-03-28T03:15+02:00", "2027-04-04T02:15+02:00"]


def test_a_run_just_delivered_is_not_given_again_when_asked_for_what_follows_it():
    recurrence = daily("02:30", "Europe/Paris")
    spring = recurrence.next_after(utc(2027, 3, 27, 12))
    assert spring == utc(2027, 3, 28, 1, 30)
    assert recurrence.next_after(spring) == utc(2027, 3, 29, 0, 30)
    assert recurrence.is_occurrence(spring) and not recurrence.is_occurrence(spring + timedelta(minutes=1))


# ---------------------------------------------------------------- other zones


def test_america_new_york_changes_at_2am_on_its_own_dates():
    # 2027: DST starts 2027-03-14, ends 2027-11-07 in New York (not Europe's dates).
    assert runs(daily("02:10", "America/New_York"), utc(2027, 3, 13, 12), 2) == ["2027-03-14T03:10-04:00", "2027-03-15T02:10-04:00"]
    upcoming = daily("01:30", "America/New_York").upcoming(2, utc(2027, 11, 6, 12))
    assert [r.isoformat(timespec="minutes") for r in upcoming] == ["2027-11-07T01:30-04:00", "2027-11-08T01:30-05:00"]


def test_australia_sydney_springs_forward_in_october_and_back_in_april():
    # Southern hemisphere: DST starts 2027-10-03 (02:00 -> 03:00), ends 2027-04-04 (03:00 -> 02:00).
    assert runs(daily("02:30", "Australia/Sydney"), utc(2027, 10, 1), 3) == [
        "2027-10-02T02:30+10:00",
        "2027-10-03T03:30+11:00",
        "2027-10-04T02:30+11:00",
    ]
    assert runs(daily("02:30", "Australia/Sydney"), utc(2027, 4, 2), 3) == [
        "2027-04-03T02:30+11:00",
        "2027-04-04T02:30+11:00",
        "2027-04-05T02:30+10:00",
    ]


def test_asia_kolkata_has_no_change_and_a_half_hour_offset():
    upcoming = daily("09:00", "Asia/Kolkata").upcoming(NEXT_RUNS, utc(2027, 3, 1))
    assert len(upcoming) == NEXT_RUNS
    assert {r.astimezone(UTC).strftime("%H:%M") for r in upcoming} == {"03:30"}
    assert [r.date() for r in upcoming] == [date(2027, 3, 1) + timedelta(days=i) for i in range(NEXT_RUNS)]


def test_a_day_the_zone_skipped_gives_no_second_run_the_next_day():
    # Pacific/Apia moved across the date line: 2011-12-30 never happened there.
    upcoming = daily("10:00", "Pacific/Apia").upcoming(4, utc(2011, 12, 28, 12))
    assert [r.date().isoformat() for r in upcoming] == ["2011-12-28", "2011-12-29", "2011-12-31", "2012-01-01"]
    assert upcoming[2].astimezone(UTC) - upcoming[1].astimezone(UTC) == timedelta(
        hours=24
    )  # 10:00 on the 29th (-10:00), then on the 31st (+14:00)


def test_a_gap_that_reaches_midnight_runs_at_the_days_last_minute_before_it():
    # America/Nuuk springs forward from 23:00 to 00:00: 23:30 on 2027-03-27 does not exist, and
    # later by the gap would be the 28th, which then would run twice.
    assert runs(daily("23:30", "America/Nuuk"), utc(2027, 3, 26, 12), 3) == [
        "2027-03-26T23:30-02:00",
        "2027-03-27T22:59-02:00",
        "2027-03-28T23:30-01:00",
    ]


# ---------------------------------------------------------------- months


def monthly(**fields) -> Recurrence:
    return Recurrence(frequency="monthly", time="08:00", timezone="Europe/Paris", **fields)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (29, ["01-29", "02-28", "03-29", "04-29"]),
        (30, ["01-30", "02-28", "03-30", "04-30"]),
        (31, ["01-31", "02-28", "03-31", "04-30"]),
        ("last", ["01-31", "02-28", "03-31", "04-30"]),
    ],
)
def test_monthly_on_the_29th_to_31st_runs_on_the_last_day_of_shorter_months(day, expected):
    assert [r.strftime("%m-%d") for r in monthly(day_of_month=day).upcoming(4, utc(2027, 1, 1))] == expected


def test_february_of_a_leap_year_has_its_29th():
    assert [r.strftime("%m-%d") for r in monthly(day_of_month=31).upcoming(3, utc(2028, 1, 1))] == ["01-31", "02-29", "03-31"]
    assert monthly(day_of_month=30).upcoming(2, utc(2028, 2, 1))[0].date() == date(2028, 2, 29)


def test_a_monthly_run_on_the_31st_happens_every_month_of_the_year():
    upcoming = monthly(day_of_month=31).upcoming(12, utc(2027, 1, 1))
    assert [r.month for r in upcoming] == list(range(1, 13))


def test_the_second_tuesday_and_the_last_friday_fall_in_every_month():
    second_tuesdays = monthly(week_of_month=2, weekday="tue").upcoming(12, utc(2027, 1, 1))
    assert all(r.strftime("%a") == "Tue" and 8 <= r.day <= 14 for r in second_tuesdays)
    assert [r.month for r in second_tuesdays] == list(range(1, 13))
    last_fridays = monthly(week_of_month="last", weekday="fri").upcoming(12, utc(2027, 1, 1))
    assert all(r.strftime("%a") == "Fri" and (r + timedelta(days=7)).month != r.month for r in last_fridays)
    assert [r.date().isoformat() for r in last_fridays[:3]] == ["2027-01-29", "2027-02-26", "2027-03-26"]


def test_a_monthly_run_on_the_change_day_still_runs_then():
    # The last Sunday of March 2027 is the spring change itself: 02:30 runs at 03:30.
    upcoming = Recurrence(frequency="monthly", week_of_month="last", weekday="sun", time="02:30", timezone="Europe/Paris").upcoming(
        1, utc(2027, 3, 1)
    )
    assert upcoming[0].isoformat(timespec="minutes") == "2027-03-28T03:30+02:00"


# ---------------------------------------------------------------- start, end, what is shown


def test_runs_start_on_starts_on_and_stop_after_ends_on():
    recurrence = daily("07:00", "Europe/Paris", starts_on="2027-05-10", ends_on="2027-05-12")
    assert [r.date().isoformat() for r in recurrence.upcoming(NEXT_RUNS, utc(2027, 1, 1))] == ["2027-05-10", "2027-05-11", "2027-05-12"]
    assert recurrence.upcoming(NEXT_RUNS, utc(2027, 5, 12, 6)) == []
    assert recurrence.next_after(utc(2027, 5, 13)) is None


def test_the_next_twelve_runs_are_in_the_owners_zone():
    upcoming = Recurrence(frequency="weekly", weekdays=["fri", "mon"], time="18:45", timezone="America/New_York").upcoming(
        after=utc(2027, 6, 1)
    )
    assert len(upcoming) == NEXT_RUNS
    assert all(r.tzinfo == ZoneInfo("America/New_York") and r.strftime("%H:%M") == "18:45" for r in upcoming)
    assert {r.strftime("%a") for r in upcoming} == {"Mon", "Fri"}
    assert upcoming == sorted(upcoming)


# ---------------------------------------------------------------- bad input: every field named


def errors(**fields) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        Recurrence(**fields)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in info.value.errors()}


@pytest.mark.parametrize("time", ["24:00", "02:61", "2:30", "02:30:00", "noon", ""])
def test_a_time_that_is_no_time_of_day_is_refused(time):
    assert set(errors(frequency="daily", time=time, timezone="Europe/Paris")) == {"time"}


@pytest.mark.parametrize("zone", ["Europe/Pariss", "Mars/Olympus", "../../etc/passwd", "localtime", "Factory", "+02:00"])
def test_an_unknown_time_zone_is_refused(zone):
    assert set(errors(frequency="daily", time="02:30", timezone=zone)) == {"timezone"}


@pytest.mark.parametrize("day", [0, 32, -1, "first", 1.5, True])
def test_a_day_of_month_outside_1_to_31_is_refused(day):
    assert set(errors(frequency="monthly", time="02:30", timezone="UTC", day_of_month=day)) == {"day_of_month"}


@pytest.mark.parametrize("week", [0, 5, 6])
def test_a_week_of_month_outside_1_to_4_or_last_is_refused(week):
    assert set(errors(frequency="monthly", time="02:30", timezone="UTC", week_of_month=week, weekday="tue")) == {"week_of_month"}


def test_an_end_before_its_start_is_refused():
    assert set(errors(frequency="daily", time="02:30", timezone="UTC", starts_on="2027-06-01", ends_on="2027-05-31")) == {"ends_on"}


def test_every_bad_field_is_named_at_once():
    found = errors(
        frequency="monthly",
        time="24:00",
        timezone="Nowhere/Land",
        day_of_month=32,
        starts_on="2027-02-01",
        ends_on="2027-01-01",
        colour="red",
    )
    assert set(found) == {"time", "timezone", "day_of_month", "ends_on", "colour"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"frequency": "weekly"}, "weekdays"),
        ({"frequency": "weekly", "weekdays": []}, "weekdays"),
        ({"frequency": "weekly", "weekdays": ["mon", "mon"]}, "weekdays"),
        ({"frequency": "weekly", "weekdays": ["monday"]}, "weekdays.0"),
        ({"frequency": "daily", "weekdays": ["mon"]}, "weekdays"),
        ({"frequency": "daily", "day_of_month": 3}, "day_of_month"),
        ({"frequency": "monthly"}, "week_of_month"),
        ({"frequency": "monthly", "week_of_month": 2}, "weekday"),
        ({"frequency": "monthly", "weekday": "tue", "day_of_month": 3}, "weekday"),
        ({"frequency": "monthly", "day_of_month": 3, "week_of_month": 2, "weekday": "tue"}, "week_of_month"),
        ({"frequency": "hourly"}, "frequency"),
    ],
)
def test_the_fields_of_one_kind_of_schedule_only(fields, field):
    assert set(errors(time="02:30", timezone="UTC", **fields)) == {field}


def test_in_a_request_body_each_bad_field_is_named_by_its_path():
    """What the HTTP edge turns into a 422's errors[].field for a body holding a recurrence."""
    from pydantic import BaseModel

    from crm.platform.problems import validation_errors

    class ReorderSettings(BaseModel):
        recipients: list[str]
        recurrence: Recurrence

    with pytest.raises(ValidationError) as info:
        ReorderSettings.model_validate(
            {"recipients": [], "recurrence": {"frequency": "daily", "time": "24:00", "timezone": "Europe/Paree"}}
        )
    assert {e.field for e in validation_errors(info.value.errors())} == {"recurrence.time", "recurrence.timezone"}
