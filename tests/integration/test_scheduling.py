"""Series of runs set up in EventBridge Scheduler (crm.platform.scheduling, under moto): each run a
one-time at() in UTC, kept armed two ahead, re-armed idempotently by the target, stale deliveries
recognised, and a failed re-arm that neither stops the series nor passes silently."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from crm.platform import clock, scheduling
from crm.platform.recurrence import Recurrence

DAILY_0230_PARIS = Recurrence(frequency="daily", time="02:30", timezone="Europe/Paris")
DLQ = "arn:aws:sqs:eu-west-1:123456789012:schedules-dlq"


@pytest.fixture
def target(aws) -> scheduling.ScheduleTarget:
    return scheduling.ScheduleTarget(
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:reorder",
        role_arn="arn:aws:iam::123456789012:role/scheduler",
        group=aws["AlertScheduleGroup"],
        dead_letter_arn=DLQ,
    )


@pytest.fixture
def now(monkeypatch):
    """Set the layer's clock: now(datetime)."""

    def move(moment: datetime) -> datetime:
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return move


def armed(group: str) -> dict[str, dict]:
    client = boto3.client("scheduler")
    names = [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"]]
    return {name: client.get_schedule(Name=name, GroupName=group) for name in sorted(names)}


def event_of(schedule: dict) -> dict:
    return json.loads(schedule["Target"]["Input"])


def test_a_series_is_armed_as_one_time_utc_schedules_two_ahead(target, now):
    now(datetime(2027, 3, 26, 12, tzinfo=UTC))
    instants = scheduling.arm("reorder-t1", DAILY_0230_PARIS, target, {"tenant": "t1"})
    assert instants == [datetime(2027, 3, 27, 1, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)]
    schedules = armed(target.group)
    assert list(schedules) == ["reorder-t1.20270327T0130Z", "reorder-t1.20270328T0130Z"]
    spring = schedules["reorder-t1.20270328T0130Z"]
    # 02:30 does not exist in Paris that day: the run is at 03:30 CEST, 01:30 UTC, and AWS is told so in UTC
    assert spring["ScheduleExpression"] == "at(2027-03-28T01:30:00)" and spring["ScheduleExpressionTimezone"] == "UTC"
    assert spring["ActionAfterCompletion"] == "DELETE" and spring["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert spring["Target"]["Arn"] == target.function_arn and spring["Target"]["RoleArn"] == target.role_arn
    assert spring["Target"]["DeadLetterConfig"] == {"Arn": DLQ}
    assert event_of(spring) == {"series": "reorder-t1", "occurrence": "2027-03-28T01:30:00Z", "detail": {"tenant": "t1"}}
    assert scheduling.arm("reorder-t1", DAILY_0230_PARIS, target, {"tenant": "t1"}) == instants  # idempotent
    assert len(armed(target.group)) == 2


def test_a_delivery_rearms_what_follows_once_however_often_it_comes(target, now):
    now(datetime(2027, 3, 26, 12, tzinfo=UTC))
    scheduling.arm("reorder-t1", DAILY_0230_PARIS, target, {"tenant": "t1"})
    first = event_of(armed(target.group)["reorder-t1.20270327T0130Z"])

    now(datetime(2027, 3, 27, 1, 30, 20, tzinfo=UTC))  # Scheduler delivers it (and deletes it: gone from moto here)
    boto3.client("scheduler").delete_schedule(Name="reorder-t1.20270327T0130Z", GroupName=target.group)
    occurrence = scheduling.delivered(first, DAILY_0230_PARIS, target)
    assert occurrence == scheduling.Occurrence("reorder-t1", datetime(2027, 3, 27, 1, 30, tzinfo=UTC), {"tenant": "t1"})
    after_first = list(armed(target.group))
    assert after_first == ["reorder-t1.20270328T0130Z", "reorder-t1.20270329T0030Z"]

    now(datetime(2027, 3, 27, 1, 33, tzinfo=UTC))  # the same event again (at least once, Lambda's retry)
    assert scheduling.delivered(first, DAILY_0230_PARIS, target) == occurrence
    assert list(armed(target.group)) == after_first


def test_a_delivery_for_a_series_since_changed_or_deleted_is_stale(target, now):
    now(datetime(2027, 3, 26, 12, tzinfo=UTC))
    scheduling.arm("reorder-t1", DAILY_0230_PARIS, target, {"tenant": "t1"})
    old = event_of(armed(target.group)["reorder-t1.20270327T0130Z"])

    at_six = Recurrence(frequency="daily", time="06:00", timezone="Europe/Paris")
    assert scheduling.replace("reorder-t1", at_six, target, {"tenant": "t1"}) == [
        datetime(2027, 3, 27, 5, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 4, 0, tzinfo=UTC),
    ]
    assert list(armed(target.group)) == ["reorder-t1.20270327T0500Z", "reorder-t1.20270328T0400Z"]

    now(datetime(2027, 3, 27, 1, 30, tzinfo=UTC))  # the old 02:30 was already on its way
    assert scheduling.delivered(old, at_six, target) is None
    assert scheduling.delivered(old, None, target) is None  # the owner deleted the series
    assert list(armed(target.group)) == ["reorder-t1.20270327T0500Z", "reorder-t1.20270328T0400Z"]  # nothing re-armed

    assert scheduling.disarm("reorder-t1", target.group) == 2
    assert armed(target.group) == {}


def test_a_failed_rearm_fails_the_delivery_and_the_next_run_carries_the_series_on(target, now):
    now(datetime(2027, 3, 26, 12, tzinfo=UTC))
    scheduling.arm("reorder-t1", DAILY_0230_PARIS, target, {"tenant": "t1"})
    client = boto3.client("scheduler")
    first = event_of(armed(target.group)["reorder-t1.20270327T0130Z"])
    client.delete_schedule(Name="reorder-t1.20270327T0130Z", GroupName=target.group)

    def scheduler_down(**kwargs):
        raise ClientError({"Error": {"Code": "InternalServerException", "Message": "down"}}, "CreateSchedule")

    now(datetime(2027, 3, 27, 1, 30, tzinfo=UTC))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scheduling.aws.client("scheduler"), "create_schedule", scheduler_down)
        with pytest.raises(ClientError):  # the invocation fails: Lambda retries it, then its DLQ and alarm
            scheduling.delivered(first, DAILY_0230_PARIS, target)
    assert list(armed(target.group)) == ["reorder-t1.20270328T0130Z"]  # the next run is still armed

    now(datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    second = event_of(armed(target.group)["reorder-t1.20270328T0130Z"])
    client.delete_schedule(Name="reorder-t1.20270328T0130Z", GroupName=target.group)
    assert scheduling.delivered(second, DAILY_0230_PARIS, target).at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert list(armed(target.group)) == ["reorder-t1.20270329T0030Z", "reorder-t1.20270330T0030Z"]


def test_a_series_ends_with_its_recurrence(target, now):
    now(datetime(2027, 5, 10, 12, tzinfo=UTC))
    last_days = Recurrence(frequency="daily", time="07:00", timezone="Europe/Paris", ends_on="2027-05-11")
    assert scheduling.arm("report-u1", last_days, target, {}) == [datetime(2027, 5, 11, 5, 0, tzinfo=UTC)]
    now(datetime(2027, 5, 11, 5, 0, tzinfo=UTC))
    event = event_of(armed(target.group)["report-u1.20270511T0500Z"])
    boto3.client("scheduler").delete_schedule(Name="report-u1.20270511T0500Z", GroupName=target.group)
    assert scheduling.delivered(event, last_days, target) is not None
    assert armed(target.group) == {}


def test_series_names_fit_schedulers_rules_whatever_the_parts():
    assert scheduling.series_id("reorder", "t1") == "reorder-t1"
    long = scheduling.series_id("report", "tenant-" + "x" * 60, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (
        len(long) <= 48
        and long.startswith("report-")
        and long == scheduling.series_id("report", "tenant-" + "x" * 60, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    )
    assert scheduling.series_id("billing", "acme.fr") != scheduling.series_id("billing", "acme-fr")
    with pytest.raises(ValueError):
        scheduling.arm("bad name!", DAILY_0230_PARIS, scheduling.ScheduleTarget("f", "r", "g"), {})


def test_an_event_that_is_no_series_delivery_is_refused(target):
    with pytest.raises(ValueError):
        scheduling.delivered({"tenant": "t1"}, DAILY_0230_PARIS, target)
    with pytest.raises(ValueError):
        scheduling.delivered({"series": "s", "occurrence": "2027-03-28T01:30:00"}, DAILY_0230_PARIS, target)
