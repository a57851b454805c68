"""The local scheduler's reading of at(), cron() and rate() expressions (AWS syntax)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infra.schedule_expressions import aws_cron_to_croniter, parse

PARIS = ZoneInfo("Europe/Paris")


def test_at_is_read_in_the_schedule_time_zone():
    expr = parse("at(2026-03-01T09:30:00)", "Europe/Paris")
    assert expr.when == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)  # 09:30 in Paris is 08:30 UTC in winter
    assert expr.next_after(datetime(2026, 3, 1, 8, 29, 59, tzinfo=UTC)) == expr.when
    assert expr.next_after(datetime(2026, 3, 1, 8, 30, tzinfo=UTC)) is None
    assert expr.next_after(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) is None


def test_at_defaults_to_utc():
    assert parse("at(2026-03-01T09:30:00)").when == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_cron_with_question_mark_and_day_names():
    expr = parse("cron(0 9 ? * MON-FRI *)", "UTC")
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert expr.next_after(friday) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # skips the weekend


def test_cron_day_of_week_numbers_are_sunday_one():
    # AWS: 1 = SUN ... 7 = SAT
    expr = parse("cron(0 8 ? * 1 *)")
    assert expr.next_after(datetime(2026, 11, 27, tzinfo=UTC)).strftime("%a") == "Sun"
    assert parse("cron(0 8 ? * 7 *)").next_after(datetime(2026, 11, 27, tzinfo=UTC)).strftime("%a") == "Sat"
    assert aws_cron_to_croniter("0 8 ? * 2-6 *")[0] == "0 8 * * 1-5"


def test_cron_last_and_nth_weekday():
    last_friday = parse("cron(0 10 ? * 6L *)")
    assert last_friday.next_after(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 25, 10, tzinfo=UTC)
    third_monday = parse("cron(0 10 ? * MON#3 *)")
    assert third_monday.next_after(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 21, 10, tzinfo=UTC)
    last_day = parse("cron(0 10 L * ? *)")
    assert last_day.next_after(datetime(2027, 2, 1, tzinfo=UTC)) == datetime(2027, 2, 28, 10, tzinfo=UTC)


def test_cron_in_a_time_zone_follows_daylight_saving():
    expr = parse("cron(0 9 * * ? *)", "Europe/Paris")
    summer = expr.next_after(datetime(2026, 7, 1, tzinfo=UTC))
    winter = expr.next_after(datetime(2026, 12, 1, tzinfo=UTC))
    assert summer.astimezone(UTC).hour == 7 and winter.astimezone(UTC).hour == 8


def test_cron_year_field_limits_occurrences():
    expr = parse("cron(0 0 1 1 ? 2028)")
    assert expr.next_after(datetime(2026, 6, 1, tzinfo=UTC)) == datetime(2028, 1, 1, tzinfo=UTC)
    assert expr.next_after(datetime(2028, 6, 1, tzinfo=UTC)) is None


def test_cron_every_15_minutes():
    expr = parse("cron(*/15 * * * ? *)")
    now = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
    assert expr.next_after(now - timedelta(seconds=1)) == now
    assert expr.next_after(now) == now + timedelta(minutes=15)


@pytest.mark.parametrize(
    "bad",
    [
        "cron(0 9 * * *)",
        "cron(0 9 1 * MON *)",
        "cron(0 9 15W * ? *)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "every day",
        "at(2026-13-01T00:00:00)",
    ],
)
def test_invalid_expressions_are_refused(bad):
    with pytest.raises(ValueError):
        parse(bad)


def test_rate_counts_from_its_anchor_which_is_its_first_occurrence():
    expr = parse("rate(5 minutes)")
    anchor = datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC)
    assert expr.next_after(anchor - timedelta(seconds=1), anchor) == anchor
    assert expr.next_after(anchor, anchor) == anchor + timedelta(minutes=5)
    assert expr.next_after(anchor + timedelta(minutes=11), anchor) == anchor + timedelta(minutes=15)
    assert parse("rate(1 hour)").period == timedelta(hours=1)
    assert parse("rate(2 days)").period == timedelta(days=2)
