"""The local scheduler runner against EventBridge Scheduler's and Lambda's documented behaviour, one
test per rule, each naming the page it copies.

The runner runs in-process on moto (mock_aws) with a small project of its own: a ticker function
that records every event it receives (and fails when the event asks it to), queues for the failure
destinations, and a clock the test moves: nothing waits for real time.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import template as tpl
from infra.lambdas import FunctionRegistry
from infra.scheduler_runner import SchedulerRunner

TEMPLATE = """
Resources:
  TickerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ticker/
      Handler: app.handler
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt FailureQueue.Arn}
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt TickerDeadLetters.Arn}
  OnceFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/ticker/, Handler: app.handler}
  OnceInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref OnceFunction
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure: {Destination: !GetAtt FailureQueue.Arn}
  ThrottledFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ticker/
      Handler: app.handler
      ReservedConcurrentExecutions: 0
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 60
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt FailureQueue.Arn}
  NightlyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ticker/
      Handler: app.handler
      Events:
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris
            Input: '{"test": "nightly"}'
            RetryPolicy: {MaximumRetryAttempts: 0}
            DeadLetterConfig: {Type: SQS}
  Weekly:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: cron(0 6 ? * MON *)
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt NightlyFunction.Arn
        RoleArn: arn:aws:iam::123456789012:role/scheduler
        Input: '{"test": "weekly"}'
  FailureQueue: {Type: AWS::SQS::Queue}
  TickerDeadLetters: {Type: AWS::SQS::Queue}
  SchedulerDeadLetters: {Type: AWS::SQS::Queue}
  Rules:
    Type: AWS::Scheduler::ScheduleGroup
    Properties: {Name: rules}
"""

TICKER = """
import json, pathlib, time

CALLS = pathlib.Path(%(calls)r)
FAILED_ONCE = set()


def handler(event, context):
    CALLS.mkdir(exist_ok=True)
    (CALLS / f"{time.monotonic_ns()}-{context.function_name}.json").write_text(json.dumps(event))
    if event.get("fail") == "always" or (event.get("fail") == "once" and event["test"] not in FAILED_ONCE):
        FAILED_ONCE.add(event["test"])
        raise RuntimeError("the target failed")
    return {"ok": True}
"""


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    runner: SchedulerRunner
    clock: Clock
    refs: dict[str, str]
    calls: Path

    def tick(self, at: datetime, source: str = "scheduler:") -> bool:
        """Move the clock to `at` and tick; did one of the test's schedules fire (or the template's)?"""
        self.clock.now = at
        return any(key.startswith(source) for key in self.runner.tick())

    def ticks(self, start: datetime, end: datetime, step: timedelta, source: str = "scheduler:") -> list[datetime]:
        """Tick from `start` to `end`; the times at which something fired."""
        fired, at = [], start
        while at <= end:
            if self.tick(at, source):
                fired.append(at)
            at += step
        return fired

    def received(self, test: str, function: str = "TickerFunction") -> list[dict]:
        """The events the function received for this test, in order (one per attempt)."""
        if not self.calls.exists():
            return []
        events = [(f.name, json.loads(f.read_text())) for f in self.calls.glob(f"*-{self.refs[function]}.json")]
        return [e for _, e in sorted(events, key=lambda pair: int(pair[0].split("-")[0])) if isinstance(e, dict) and e.get("test") == test]

    def queue(self, logical_id: str) -> list[dict]:
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=self.refs[logical_id])["QueueUrl"]
        out = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages"):
            out += batch
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            )
        return out

    def create(self, expression: str, test: str, *, target: str = "TickerFunction", **settings) -> str:
        """A Scheduler schedule in the `rules` group whose input names the test; returns its name."""
        name = f"s-{uuid.uuid4().hex[:12]}"
        payload = {"test": test, **settings.pop("payload", {})}
        target_config = {
            "Arn": f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT}:function:{self.refs.get(target, target)}",
            "RoleArn": f"arn:aws:iam::{tpl.ACCOUNT}:role/scheduler",
            "Input": settings.pop("input", None) or json.dumps(payload),
            "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{tpl.REGION}:{tpl.ACCOUNT}:{self.refs['SchedulerDeadLetters']}"},
        }
        if "retry" in settings:
            target_config["RetryPolicy"] = settings.pop("retry")
        boto3.client("scheduler").create_schedule(
            Name=name,
            GroupName=self.refs["Rules"],
            ScheduleExpression=expression,
            ScheduleExpressionTimezone=settings.pop("tz", "UTC"),
            FlexibleTimeWindow=settings.pop("window", {"Mode": "OFF"}),
            ActionAfterCompletion=settings.pop("after", "NONE"),
            Target=target_config,
            **settings,
        )
        return name

    def exists(self, name: str) -> bool:
        try:
            boto3.client("scheduler").get_schedule(Name=name, GroupName=self.refs["Rules"])
            return True
        except ClientError:
            return False


@pytest.fixture
def world(tmp_path, monkeypatch):
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": tpl.REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "functions" / "ticker").mkdir(parents=True)
    (tmp_path / "functions" / "ticker" / "app.py").write_text(textwrap.dedent(TICKER % {"calls": str(tmp_path / "calls")}))
    with mock_aws():
        template = tpl.load(tmp_path / "template.yaml")
        refs = tpl.local_refs(template=template)
        tpl.create_backing_resources(boto3.client, refs, template)
        clock = Clock(datetime(2027, 1, 4, 12, 0, tzinfo=UTC))
        runner = SchedulerRunner(
            boto3.client("scheduler"),
            FunctionRegistry(refs, template, tmp_path),
            template,
            tmp_path / "state.json",
            clock=clock,
            sqs_client=boto3.client("sqs"),
            refs=refs,
        )
        yield World(runner, clock, refs, tmp_path / "calls")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- occurrences


def test_cron_in_a_time_zone_skips_the_spring_gap(world):
    """User Guide, "Daylight saving time on EventBridge Scheduler": "When the time shifts forward in
    the Spring, if a cron expression falls on a non-existent date and time, your schedule invocation
    is skipped." 02:30 does not exist in Paris on 2027-03-28."""
    world.clock.now = utc(2027, 3, 26, 12)
    world.create("cron(30 2 * * ? *)", "spring", tz="Europe/Paris")
    fired = world.ticks(utc(2027, 3, 26, 12), utc(2027, 3, 29, 12), timedelta(minutes=30))
    assert fired == [utc(2027, 3, 27, 1, 30), utc(2027, 3, 29, 0, 30)]  # 02:30 CET, (none), 02:30 CEST


def test_cron_in_a_time_zone_runs_once_in_the_autumn_overlap(world):
    """Same page: "When the time shifts backwards in the Fall, your schedule runs only once and does
    not repeat its invocation." 02:30 happens twice in Paris on 2027-10-31; it runs at the first."""
    world.clock.now = utc(2027, 10, 30, 12)
    name = world.create("cron(30 2 * * ? *)", "autumn", tz="Europe/Paris")
    fired = world.ticks(utc(2027, 10, 30, 12), utc(2027, 11, 1, 12), timedelta(minutes=30))
    assert fired == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]  # 02:30 CEST on the 31st, not 02:30 CET
    assert len(world.received("autumn")) == 2
    assert world.runner.describe()[0]["next_run"].startswith("2027-11-02T01:30") and name


def test_rate_counts_elapsed_time_from_its_start_date(world):
    """User Guide, "Rate-based schedules": StartDate sets the first occurrence; "Daylight saving
    time": a rate in days is 24 hours of elapsed time, so across the change the wall time moves."""
    world.clock.now = utc(2027, 3, 26, 12)
    world.create("rate(1 day)", "rate", tz="Europe/Paris", StartDate=utc(2027, 3, 27, 1, 30))
    fired = world.ticks(utc(2027, 3, 27), utc(2027, 3, 29, 12), timedelta(minutes=30))
    assert fired == [utc(2027, 3, 27, 1, 30), utc(2027, 3, 28, 1, 30), utc(2027, 3, 29, 1, 30)]  # 02:30 CET, 03:30 CEST, 03:30 CEST


def test_rate_without_a_start_date_starts_at_once(world):
    """Same page: "If you do not provide a StartDate for a rate-based schedule, your schedule starts
    invoking the target immediately"; then every period, each occurrence once."""
    start = world.clock.now
    world.create("rate(10 minutes)", "immediate")
    assert world.tick(start)
    assert not world.tick(start + timedelta(minutes=9, seconds=59))
    assert world.tick(start + timedelta(minutes=10))
    assert not world.tick(start + timedelta(minutes=10, seconds=30))
    assert len(world.received("immediate")) == 2


def test_at_runs_once_in_its_time_zone_and_delete_removes_it_after(world):
    """User Guide, "One-time schedules": at() invokes the target once, at the date and time in the
    schedule's time zone; "Deleting a schedule": with ActionAfterCompletion DELETE it is deleted
    after it has invoked its target once (NONE keeps it)."""
    world.clock.now = utc(2027, 1, 4, 8)
    kept = world.create("at(2027-01-04T10:00:00)", "at-kept", tz="Europe/Paris")  # 09:00 UTC in winter
    deleted = world.create("at(2027-01-04T10:00:00)", "at-deleted", tz="Europe/Paris", after="DELETE")
    assert not world.tick(utc(2027, 1, 4, 8, 59, 59))
    assert world.tick(utc(2027, 1, 4, 9))
    assert world.exists(kept) and not world.exists(deleted)
    assert world.ticks(utc(2027, 1, 4, 9, 1), utc(2027, 1, 6), timedelta(hours=6)) == []
    assert len(world.received("at-kept")) == len(world.received("at-deleted")) == 1


def test_start_and_end_dates_bound_a_recurring_schedule_and_not_a_one_time_one(world):
    """API Reference, CreateSchedule: invocations occur on or after StartDate and stop on or before
    EndDate; "EventBridge Scheduler ignores StartDate/EndDate for one-time schedules". "Deleting a
    schedule": a recurring schedule with DELETE is deleted after its last invocation before EndDate."""
    world.clock.now = utc(2027, 1, 4, 8)
    hourly = world.create("cron(0 * * * ? *)", "bounded", StartDate=utc(2027, 1, 4, 10), EndDate=utc(2027, 1, 4, 12, 30), after="DELETE")
    once = world.create("at(2027-01-04T09:00:00)", "ignores-dates", StartDate=utc(2027, 1, 5), EndDate=utc(2027, 1, 6))
    fired = world.ticks(utc(2027, 1, 4, 8), utc(2027, 1, 4, 15), timedelta(minutes=30))
    assert fired == [utc(2027, 1, 4, 9), utc(2027, 1, 4, 10), utc(2027, 1, 4, 11), utc(2027, 1, 4, 12)]
    assert len(world.received("bounded")) == 3 and len(world.received("ignores-dates")) == 1
    assert not world.exists(hourly) and world.exists(once)


def test_a_flexible_time_window_delivers_once_within_the_window(world):
    """User Guide, "Configuring flexible time windows": with Mode FLEXIBLE, the target is invoked
    within MaximumWindowInMinutes after the scheduled time, once."""
    world.clock.now = utc(2027, 1, 4, 8)
    world.create("cron(0 9 * * ? *)", "flexible", window={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    step = timedelta(seconds=20)  # a tick delivers what became due since the tick before
    for day in (4, 5, 6):
        fired = world.ticks(utc(2027, 1, day, 8, 50), utc(2027, 1, day, 9, 30), step)
        assert len(fired) == 1 and utc(2027, 1, day, 9) <= fired[0] < utc(2027, 1, day, 9, 15) + step
    assert [e["test"] for e in world.received("flexible")] == ["flexible"] * 3


def test_context_attributes_in_the_input_are_filled_in(world):
    """User Guide, "Adding context attributes": <aws.scheduler.scheduled-time> and the others in the
    payload are replaced when the schedule invokes the target."""
    world.clock.now = utc(2027, 1, 4, 8)
    text = json.dumps(
        {
            "test": "context",
            "at": "<aws.scheduler.scheduled-time>",
            "arn": "<aws.scheduler.schedule-arn>",
            "n": "<aws.scheduler.attempt-number>",
        }
    )
    name = world.create("at(2027-01-04T09:00:00)", "context", input=text)
    world.tick(utc(2027, 1, 4, 9, 0, 40))
    [event] = world.received("context")
    assert event == {
        "test": "context",
        "at": "2027-01-04T09:00:00Z",
        "arn": f"arn:aws:scheduler:{tpl.REGION}:{tpl.ACCOUNT}:schedule/{world.refs['Rules']}/{name}",
        "n": "1",
    }


def test_occurrences_missed_while_stopped_are_each_delivered_unless_too_old(world):
    """Scheduler delivers every occurrence and keeps an undelivered event for the RetryPolicy's
    MaximumEventAgeInSeconds (User Guide, "Configuring a retry policy"): after a gap in the
    runner's time, each missed occurrence goes, oldest first; older ones are dropped."""
    world.clock.now = utc(2027, 1, 4, 8)
    world.create("cron(0 * * * ? *)", "missed", retry={"MaximumEventAgeInSeconds": 3 * 3600, "MaximumRetryAttempts": 1})
    world.create("cron(0 * * * ? *)", "missed-at", input='{"test": "missed-at", "at": "<aws.scheduler.scheduled-time>"}')
    assert not world.tick(utc(2027, 1, 4, 8, 30))  # seen: they count from here
    assert world.tick(utc(2027, 1, 4, 12, 30))  # 09:00 .. 12:00 missed
    assert len(world.received("missed")) == 3  # 10, 11, 12: 09:00 is over three hours old
    assert [e["at"] for e in world.received("missed-at")] == [f"2027-01-04T{h}:00:00Z" for h in ("09", "10", "11", "12")]


def test_the_templates_schedules_are_scheduler_schedules_too(world):
    """SAM's ScheduleV2 event is an AWS::Scheduler::Schedule (SAM "ScheduleV2" event source): its
    time zone, RetryPolicy and DeadLetterConfig apply, {Type: SQS} being a queue SAM creates; so do
    a template's own AWS::Scheduler::Schedule resources."""
    world.clock.now = utc(2027, 1, 3, 12)  # a Sunday
    world.tick(world.clock.now)
    fired = world.ticks(utc(2027, 1, 4, 1), utc(2027, 1, 4, 7), timedelta(hours=1), source="template:")
    assert fired == [utc(2027, 1, 4, 2), utc(2027, 1, 4, 6)]  # 03:00 in Paris; Monday 06:00 UTC
    assert [e["test"] for e in world.received("nightly", "NightlyFunction")] == ["nightly"]
    assert [e["test"] for e in world.received("weekly", "NightlyFunction")] == ["weekly"]

    world.runner.delivery.throttled_invoke_api.add("NightlyFunction")  # no retries: straight to SAM's queue
    world.tick(utc(2027, 1, 5, 2))
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-local-NightlyFunctionNightlyQueue")["QueueUrl"]
    [dead] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"]) == {"test": "nightly"}
    assert dead["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumRetryAttempts"


# ---------------------------------------------------------------- failures


def test_a_function_error_is_retried_by_lambda_then_sent_to_its_destination_and_dead_letter_queue(world):
    """Scheduler invokes a Lambda target asynchronously; Lambda Developer Guide, "How Lambda handles
    errors and retries with asynchronous invocation": two more attempts, one minute then two minutes
    later; then the OnFailure destination (an invocation record) and the DeadLetterQueue (the event).
    Scheduler's own part was done when Lambda accepted the event: its schedule is deleted, its DLQ
    stays empty."""
    world.clock.now = utc(2027, 1, 4, 8)
    name = world.create("at(2027-01-04T09:00:00)", "error", after="DELETE", payload={"fail": "always"})
    assert world.tick(utc(2027, 1, 4, 9))
    assert len(world.received("error")) == 1 and not world.exists(name)
    for at, attempts in [((9, 0, 59), 1), ((9, 1, 0), 2), ((9, 2, 59), 2), ((9, 3, 0), 3), ((10, 0, 0), 3)]:
        world.tick(utc(2027, 1, 4, *at))
        assert len(world.received("error")) == attempts, at
    [record] = [json.loads(m["Body"]) for m in world.queue("FailureQueue")]
    assert record["requestContext"]["condition"] == "RetriesExhausted" and record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"test": "error", "fail": "always"}
    assert record["responseContext"]["functionError"] == "Unhandled" and record["responsePayload"]["errorMessage"] == "the target failed"
    [dead] = world.queue("TickerDeadLetters")
    assert json.loads(dead["Body"]) == {"test": "error", "fail": "always"}
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "the target failed" and "RequestID" in dead["MessageAttributes"]
    assert world.queue("SchedulerDeadLetters") == []


def test_lambda_retries_as_its_event_invoke_config_says(world):
    """Lambda Developer Guide, "Configuring error handling for asynchronous invocation":
    MaximumRetryAttempts 0 (here from an AWS::Lambda::EventInvokeConfig resource) means one attempt;
    an error followed by a success on the retry leaves nothing in any queue."""
    world.clock.now = utc(2027, 1, 4, 8)
    world.create("at(2027-01-04T09:00:00)", "no-retry", target="OnceFunction", payload={"fail": "always"})
    world.create("at(2027-01-04T09:00:00)", "once", payload={"fail": "once"})
    world.ticks(utc(2027, 1, 4, 9), utc(2027, 1, 4, 9, 10), timedelta(minutes=1))
    assert len(world.received("no-retry", "OnceFunction")) == 1
    assert len(world.received("once")) == 2
    [record] = [json.loads(m["Body"]) for m in world.queue("FailureQueue")]
    assert record["requestPayload"]["test"] == "no-retry" and record["requestContext"]["approximateInvokeCount"] == 1
    assert world.queue("TickerDeadLetters") == []


def test_a_throttled_function_keeps_its_event_until_maximum_event_age(world):
    """Same guide: "For throttling errors (429) and system errors (500-series), Lambda returns the
    event to the queue and attempts to run the function again" with exponential backoff, until
    MaximumEventAgeInSeconds (60 here); then the destination, condition EventAgeExceeded. A function
    with ReservedConcurrentExecutions 0 never runs; the asynchronous Invoke itself still succeeds."""
    world.clock.now = utc(2027, 1, 4, 8)
    world.create("at(2027-01-04T09:00:00)", "throttled", target="ThrottledFunction")
    assert world.tick(utc(2027, 1, 4, 9))
    world.ticks(utc(2027, 1, 4, 9, 0, 1), utc(2027, 1, 4, 9, 1, 30), timedelta(seconds=1))
    assert world.received("throttled", "ThrottledFunction") == []
    [record] = [json.loads(m["Body"]) for m in world.queue("FailureQueue")]
    assert record["requestContext"]["condition"] == "EventAgeExceeded" and record["requestContext"]["approximateInvokeCount"] == 0


def test_a_target_that_does_not_exist_goes_to_the_schedulers_dead_letter_queue_at_once(world):
    """Scheduler's DeadLetterConfig takes what it could not deliver ("Configuring a dead-letter
    queue"); a target that no longer exists is not retried (as EventBridge documents for missing
    resources). The dead-letter event is the input, with Scheduler's attributes."""
    world.clock.now = utc(2027, 1, 4, 8)
    name = world.create("at(2027-01-04T09:00:00)", "missing", target="NoSuchFunction", after="DELETE")
    assert not world.tick(utc(2027, 1, 4, 9))
    [dead] = world.queue("SchedulerDeadLetters")
    assert json.loads(dead["Body"]) == {"test": "missing"}
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException" and attributes["RETRY_ATTEMPTS"] == "0"
    assert attributes["SCHEDULE_ARN"].endswith(f":schedule/{world.refs['Rules']}/{name}") and attributes["TARGET_ARN"].endswith(
        ":function:NoSuchFunction"
    )
    assert attributes["SCHEDULED_TIME"] == "2027-01-04T09:00:00Z" and "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert not world.exists(name)


def test_an_invocation_lambda_refuses_is_retried_by_scheduler_within_its_retry_policy(world):
    """ "Configuring a retry policy": Scheduler retries a delivery that failed, with backoff, up to
    MaximumRetryAttempts and within MaximumEventAgeInSeconds, then sends it to its DLQ naming the
    condition that ended it. (The Invoke API's 429 is injected: no local function reaches its quota.)"""
    world.clock.now = utc(2027, 1, 4, 8)
    world.runner.delivery.throttled_invoke_api.add("TickerFunction")
    world.create("at(2027-01-04T09:00:00)", "few-retries", retry={"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 86400})
    world.create("at(2027-01-04T09:00:00)", "short-age", retry={"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60})
    world.ticks(utc(2027, 1, 4, 9), utc(2027, 1, 4, 9, 2), timedelta(seconds=1))
    dead = {
        json.loads(m["Body"])["test"]: {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
        for m in world.queue("SchedulerDeadLetters")
    }
    assert dead["few-retries"]["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts" and dead["few-retries"]["RETRY_ATTEMPTS"] == "2"
    assert dead["short-age"]["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert dead["few-retries"]["ERROR_CODE"] == "TooManyRequestsException"
    assert world.received("few-retries") == world.received("short-age") == []

    world.runner.delivery.throttled_invoke_api.clear()  # a retry that gets through is delivered once
    world.create("at(2027-01-04T09:05:00)", "recovers", retry={"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 600})
    world.runner.delivery.throttled_invoke_api.add("TickerFunction")
    world.tick(utc(2027, 1, 4, 9, 5))
    world.runner.delivery.throttled_invoke_api.clear()
    world.ticks(utc(2027, 1, 4, 9, 5, 1), utc(2027, 1, 4, 9, 6), timedelta(seconds=1))
    assert len(world.received("recovers")) == 1 and world.queue("SchedulerDeadLetters") == []


def test_a_restart_keeps_what_fired_and_what_lambda_still_has_to_retry(world, tmp_path):
    """The runner's state file: after a restart nothing fires twice and a pending retry still runs."""
    world.clock.now = utc(2027, 1, 4, 8)
    world.create("cron(0 9 * * ? *)", "restart", payload={"fail": "once"})
    assert world.tick(utc(2027, 1, 4, 9))
    restarted = SchedulerRunner(
        boto3.client("scheduler"),
        FunctionRegistry(world.refs, tpl.load(tmp_path / "template.yaml"), tmp_path),
        tpl.load(tmp_path / "template.yaml"),
        tmp_path / "state.json",
        clock=world.clock,
        sqs_client=boto3.client("sqs"),
        refs=world.refs,
    )
    world.clock.now = utc(2027, 1, 4, 9, 0, 30)
    assert restarted.tick() == [] and len(world.received("restart")) == 1
    world.clock.now = utc(2027, 1, 4, 9, 1)
    restarted.tick()
    assert len(world.received("restart")) == 2  # Lambda's retry, one minute on


def test_a_long_gap_is_caught_up_in_bounded_ticks_in_order(world):
    """After a long gap (the stack stopped, or the clock moved a year on) every occurrence still due
    is delivered, oldest first, at most MAX_CATCH_UP a tick so one tick never runs for long."""
    from infra.scheduler_runner import MAX_CATCH_UP

    world.clock.now = utc(2027, 1, 1)
    world.create(
        "cron(0 6 * * ? *)",
        "year",
        input='{"test": "year", "at": "<aws.scheduler.scheduled-time>"}',
        retry={"MaximumEventAgeInSeconds": 86400 * 400, "MaximumRetryAttempts": 1},
    )
    world.tick(utc(2027, 1, 1))
    world.tick(utc(2028, 1, 1))
    assert len(world.received("year")) == MAX_CATCH_UP
    for _ in range(3):
        world.tick(utc(2028, 1, 1))
    days = [e["at"][:10] for e in world.received("year")]
    assert len(days) == 365 and days == sorted(days) and days[0] == "2027-01-01" and days[-1] == "2027-12-31"
