from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from crm.contacts.hours import OpeningHours, add_working_time, check_window

OFFICE = {day: [{"open": "08:00", "close": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


def hours(time_zone: str, **weekly: list[tuple[str, str]]) -> OpeningHours:
    return OpeningHours(
        time_zone=time_zone,
        weekly={day: [{"open": o, "close": c} for o, c in spans] for day, spans in weekly.items()},
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


PARIS = OpeningHours(time_zone="Europe/Paris", weekly=OFFICE)  # UTC+1 in winter, UTC+2 in summer


# --- validation -------------------------------------------------------------------------------


def test_intervals_are_stored_sorted_and_days_in_week_order():
    h = hours("Europe/Paris", fri=[("13:00", "17:00"), ("08:00", "12:00")], mon=[("09:00", "10:00")])
    assert list(h.weekly) == ["mon", "fri"]
    assert [iv.open for iv in h.weekly["fri"]] == ["08:00", "13:00"]


def test_touching_intervals_are_fine():
    hours("UTC", mon=[("08:00", "12:00"), ("12:00", "24:00")])


def test_overlapping_intervals_are_refused_naming_the_day_and_both():
    with pytest.raises(ValidationError) as excinfo:
        hours("UTC", tue=[("13:00", "17:00"), ("08:00", "13:30")])
    (error,) = excinfo.value.errors()
    assert error["loc"] == ("weekly",)
    assert "tue: 08:00–13:30 overlaps 13:00–17:00" in error["msg"]


def test_inverted_and_empty_intervals_are_refused_naming_the_day_and_index():
    with pytest.raises(ValidationError) as excinfo:
        hours("UTC", wed=[("08:00", "12:00"), ("18:00", "09:00")], sat=[("10:00", "10:00")])
    msg = excinfo.value.errors()[0]["msg"]
    assert "wed interval 1 (18:00–09:00): open must be before close" in msg
    assert "sat interval 0 (10:00–10:00): open must be before close" in msg


def test_midnight_written_as_00_00_gets_a_hint():
    with pytest.raises(ValidationError, match="write midnight as 24:00"):
        hours("UTC", fri=[("20:00", "00:00")])


@pytest.mark.parametrize(("open_", "close"), [("24:00", "24:00"), ("8:00", "17:00"), ("08:00", "24:30"), ("08:60", "17:00")])
def test_malformed_times_are_refused_with_their_location(open_: str, close: str):
    with pytest.raises(ValidationError) as excinfo:
        hours("UTC", mon=[(open_, close)])
    assert excinfo.value.errors()[0]["loc"][:3] == ("weekly", "mon", 0)


def test_unknown_day_is_refused():
    with pytest.raises(ValidationError):
        OpeningHours(time_zone="UTC", weekly={"monday": []})


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "europe/paris", "", "../etc/passwd", "localtime"])
def test_unknown_time_zone_is_refused_naming_it(zone: str):
    with pytest.raises(ValidationError) as excinfo:
        OpeningHours(time_zone=zone, weekly=OFFICE)
    (error,) = excinfo.value.errors()
    assert error["loc"] == ("time_zone",)
    assert f"'{zone}' is not an IANA time zone" in error["msg"]


# --- check_window -----------------------------------------------------------------------------


def test_window_within_hours():
    # Tuesday 2026-12-01 09:00–11:00 in Paris (UTC+1).
    check = check_window(PARIS, utc(2026, 12, 1, 8), utc(2026, 12, 1, 10))
    assert check.within
    assert check.reasons == []
    assert check.local_start == "2026-12-01T09:00:00+01:00"
    assert check.local_end == "2026-12-01T11:00:00+01:00"


def test_window_ending_exactly_at_closing_is_within():
    assert check_window(PARIS, utc(2026, 12, 1, 15), utc(2026, 12, 1, 16)).within


def test_window_after_closing():
    check = check_window(PARIS, utc(2026, 12, 1, 15), utc(2026, 12, 1, 17))  # 16:00–18:00 local
    assert not check.within
    assert check.reasons == ["Tuesday 2026-12-01 17:00–18:00 (Europe/Paris) is after closing (08:00–17:00)"]


def test_window_before_opening_and_over_lunch():
    h = hours("Europe/Paris", tue=[("08:00", "12:00"), ("13:00", "17:00")])
    check = check_window(h, utc(2026, 12, 1, 6), utc(2026, 12, 1, 13))  # 07:00–14:00 local
    assert check.reasons == [
        "Tuesday 2026-12-01 07:00–08:00 (Europe/Paris) is before opening (08:00–12:00, 13:00–17:00)",
        "Tuesday 2026-12-01 12:00–13:00 (Europe/Paris) is between opening hours (08:00–12:00, 13:00–17:00)",
    ]


def test_closed_day():
    check = check_window(PARIS, utc(2026, 12, 5, 9), utc(2026, 12, 5, 10))
    assert check.reasons == ["Saturday 2026-12-05: closed"]


def test_window_over_a_weekend_gives_one_reason_per_day_segment():
    # Friday 16:00 to Monday 09:00 local.
    check = check_window(PARIS, utc(2026, 12, 4, 15), utc(2026, 12, 7, 8))
    assert check.reasons == [
        "Friday 2026-12-04 17:00–24:00 (Europe/Paris) is after closing (08:00–17:00)",
        "Saturday 2026-12-05: closed",
        "Sunday 2026-12-06: closed",
        "Monday 2026-12-07 00:00–08:00 (Europe/Paris) is before opening (08:00–17:00)",
    ]


def test_window_across_midnight_joins_24_00_and_00_00():
    h = hours("Europe/Paris", fri=[("18:00", "24:00")], sat=[("00:00", "02:00")])
    assert check_window(h, utc(2026, 12, 4, 21), utc(2026, 12, 5, 1)).within  # 22:00–02:00 local
    check = check_window(h, utc(2026, 12, 4, 21), utc(2026, 12, 5, 2))  # until 03:00 local
    assert check.reasons == ["Saturday 2026-12-05 02:00–03:00 (Europe/Paris) is after closing (00:00–02:00)"]


def test_window_in_the_sites_local_time_not_utc():
    new_york = OpeningHours(time_zone="America/New_York", weekly=OFFICE)
    # 14:00–15:00 UTC is 09:00–10:00 in New York in December (UTC-5).
    assert check_window(new_york, utc(2026, 12, 1, 14), utc(2026, 12, 1, 15)).within
    # 08:00 UTC is 03:00 local.
    assert not check_window(new_york, utc(2026, 12, 1, 8), utc(2026, 12, 1, 9)).within


def test_london_spring_forward():
    # Sunday 2026-03-29: at 01:00 GMT London goes to 02:00 BST, so the local day lasts 23 hours.
    h = hours("Europe/London", sun=[("00:00", "24:00")])
    day = check_window(h, utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))  # 00:00 GMT to 24:00 BST
    assert day.within
    assert day.local_end == "2026-03-30T00:00:00+01:00"
    # One more UTC hour reaches into Monday, which is closed.
    assert check_window(h, utc(2026, 3, 29, 0), utc(2026, 3, 30, 0)).reasons == ["Monday 2026-03-30: closed"]


def test_london_opening_hours_follow_summer_time():
    h = hours("Europe/London", fri=[("09:00", "17:00")])
    # 08:30 UTC is 08:30 GMT before the change, 09:30 BST after it.
    winter = check_window(h, utc(2026, 3, 27, 8, 30), utc(2026, 3, 27, 9, 30))
    assert winter.reasons == ["Friday 2026-03-27 08:30–09:00 (Europe/London) is before opening (09:00–17:00)"]
    assert check_window(h, utc(2026, 4, 3, 8, 30), utc(2026, 4, 3, 9, 30)).within


def test_new_york_fall_back_day_lasts_25_hours():
    # Sunday 2026-11-01: at 02:00 EDT New York goes back to 01:00 EST.
    h = hours("America/New_York", sun=[("00:00", "24:00")])
    assert check_window(h, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)).within  # 25 hours
    check = check_window(h, utc(2026, 11, 1, 4), utc(2026, 11, 2, 6))
    assert check.local_start == "2026-11-01T00:00:00-04:00"
    assert check.local_end == "2026-11-02T01:00:00-05:00"
    assert check.reasons == ["Monday 2026-11-02: closed"]


def test_no_hours_means_open_all_the_time():
    check = check_window(None, utc(2026, 12, 5, 2), utc(2026, 12, 8, 2))
    assert check.within
    assert check.local_start == "2026-12-05T02:00:00+00:00"


def test_window_accepts_any_offset():
    paris_time = timezone(timedelta(hours=1))
    start, end = datetime(2026, 12, 1, 9, tzinfo=paris_time), datetime(2026, 12, 1, 17, tzinfo=paris_time)
    assert check_window(PARIS, start, end).within


def test_empty_or_inverted_window_is_refused():
    with pytest.raises(ValueError, match="end must be after start"):
        check_window(PARIS, utc(2026, 12, 1, 10), utc(2026, 12, 1, 10))
    with pytest.raises(ValueError, match="end must be after start"):
        check_window(None, utc(2026, 12, 1, 10), utc(2026, 12, 1, 9))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        check_window(PARIS, datetime(2026, 12, 1, 10), utc(2026, 12, 1, 11))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        check_window(None, utc(2026, 12, 1, 10), datetime(2026, 12, 1, 11))


# --- add_working_time -------------------------------------------------------------------------


def test_working_time_without_hours_is_plain_time():
    assert add_working_time(None, utc(2026, 12, 4, 16), timedelta(hours=4)) == utc(2026, 12, 4, 20)


def test_working_time_over_a_weekend():
    # Friday 15:00 Paris + 4 working hours: 2 on Friday, 2 on Monday from 08:00.
    deadline = add_working_time(PARIS, utc(2026, 12, 4, 14), timedelta(hours=4))
    assert deadline == utc(2026, 12, 7, 9)  # Monday 10:00 Paris


def test_working_time_from_a_closed_instant_starts_at_opening():
    # Saturday night: the clock starts Monday 08:00.
    assert add_working_time(PARIS, utc(2026, 12, 5, 22), timedelta(minutes=30)) == utc(2026, 12, 7, 7, 30)


def test_working_time_ending_at_closing_is_closing_time():
    assert add_working_time(PARIS, utc(2026, 12, 1, 7), timedelta(hours=9)) == utc(2026, 12, 1, 16)


def test_working_time_of_several_weeks():
    # 45 working hours a week: 90 hours from Monday 08:00 is two full weeks later, at Friday 17:00.
    assert add_working_time(PARIS, utc(2026, 12, 7, 7), timedelta(hours=90)) == utc(2026, 12, 18, 16)


def test_working_time_across_spring_forward():
    # Open around the clock on Sunday 2026-03-29 in London, a 23-hour day; 23 working hours from its
    # start end at Monday's midnight, then the next opening is the following Sunday.
    h = hours("Europe/London", sun=[("00:00", "24:00")])
    assert add_working_time(h, utc(2026, 3, 29, 0), timedelta(hours=23)) == utc(2026, 3, 29, 23)
    assert add_working_time(h, utc(2026, 3, 29, 0), timedelta(hours=24)) == utc(2026, 4, 5, 0)  # Sunday 01:00 BST


def test_zero_duration_is_start():
    assert add_working_time(PARIS, utc(2026, 12, 5, 22), timedelta(0)) == utc(2026, 12, 5, 22)


def test_hours_open_at_no_time_are_refused_and_never_let_working_time_elapse():
    with pytest.raises(ValidationError, match="open at no time"):
        OpeningHours(time_zone="Europe/Paris", weekly={"mon": []})
    stored = OpeningHours.model_construct(time_zone="Europe/Paris", weekly={"mon": []})  # saved before the rule
    with pytest.raises(ValueError, match="no opening interval"):
        add_working_time(stored, utc(2026, 12, 1, 9), timedelta(hours=1))


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_time(PARIS, utc(2026, 12, 1, 9), timedelta(hours=-1))
