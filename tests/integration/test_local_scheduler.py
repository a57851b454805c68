"""The local EventBridge Scheduler: due schedules fire their target once, also across restarts.

The stack runs a tiny project of its own (a ticker function that records what it receives) with
a fake clock: time only moves when a test moves it, so nothing here waits for the wall clock.
"""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from infra.local import LocalStack

TEMPLATE = """
Parameters:
  MailFrom: {Type: String, Default: local@example.com}
  CursorSigningKey: {Type: String}
Globals:
  Function:
    Environment:
      Variables:
        CALLS_DIR: %(calls)s
Resources:
  TickerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ticker/
      Handler: app.handler
      Events:
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            Input: '{"test": "nightly"}'
  Alerts:
    Type: AWS::Scheduler::ScheduleGroup
    Properties: {Name: alerts}
"""

TICKER = """
import json, os, pathlib, uuid


def handler(event, context):
    calls = pathlib.Path(os.environ["CALLS_DIR"])
    calls.mkdir(exist_ok=True)
    (calls / f"attempt-{uuid.uuid4().hex}.json").write_text(json.dumps(event))
    fail = calls / f"FAIL-{event.get('test')}"
    if fail.exists():
        fail.unlink()
        raise RuntimeError("the target failed")
    if (calls / f"FAILALWAYS-{event.get('test')}").exists():
        raise RuntimeError("the target always fails")
    (calls / f"ok-{uuid.uuid4().hex}.json").write_text(json.dumps(event))
    return {"ok": True}
"""


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scheduler-project")
    (root / "template.yaml").write_text(TEMPLATE % {"calls": root / "calls"})
    (root / "functions" / "ticker").mkdir(parents=True)
    (root / "functions" / "ticker" / "app.py").write_text(textwrap.dedent(TICKER))
    return root


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def stack(project, clock):
    s = LocalStack(port=0, state_dir=project / "state", template_path=project / "template.yaml", clock=clock, scheduler_interval=0.05)
    with s:
        yield s


@pytest.fixture
def now(stack, clock) -> datetime:
    """Each test starts on a fresh day, after that day's 03:00 nightly run has fired."""
    clock.now = (clock.now + timedelta(days=1)).replace(hour=12, minute=0, second=0)
    stack.scheduler.tick()
    return clock.now


def fires(stack, test: str, at_time: datetime | None = None) -> bool:
    """Tick once (now, or at `at_time`); did this test's schedule fire?"""
    return f"scheduler:{stack.refs['Alerts']}/s-{test}" in stack.scheduler.tick(at_time)


def runs(project: Path, test: str, kind: str = "ok") -> int:
    calls = project / "calls"
    if not calls.exists():
        return 0
    return sum(1 for f in calls.glob(f"{kind}-*.json") if json.loads(f.read_text()).get("test") == test)


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def at(t: datetime) -> str:
    return f"at({t.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


def create(stack, name: str, expression: str, test: str, after: str = "NONE", tz: str = "UTC", retries: int = 185) -> None:
    stack.client("scheduler").create_schedule(
        Name=name,
        GroupName=stack.refs["Alerts"],
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=tz,
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion=after,
        Target={
            "Arn": f"arn:aws:lambda:eu-west-1:123456789012:function:{stack.refs['TickerFunction']}",
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps({"test": test}),
            "RetryPolicy": {"MaximumRetryAttempts": retries, "MaximumEventAgeInSeconds": 86400},
        },
    )


def exists(stack, name: str) -> bool:
    try:
        stack.client("scheduler").get_schedule(Name=name, GroupName=stack.refs["Alerts"])
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return False


def test_an_at_schedule_fires_once_when_due(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(hours=1)), test)
    assert not fires(stack, test)
    assert runs(project, test) == 0

    clock.now = now + timedelta(hours=1)
    wait_for(lambda: runs(project, test) == 1)
    assert not fires(stack, test) and not fires(stack, test)
    clock.now = now + timedelta(hours=5)
    assert not fires(stack, test)
    assert runs(project, test) == 1
    assert exists(stack, f"s-{test}")  # ActionAfterCompletion NONE keeps it


def test_an_at_schedule_is_read_in_its_time_zone(stack, project, now):
    test = uuid.uuid4().hex
    paris_noon = now.replace(hour=12) + timedelta(days=1)  # 12:00 in Paris is 11:00 UTC in winter
    create(stack, f"s-{test}", f"at({paris_noon:%Y-%m-%dT%H:%M:%S})", test, tz="Europe/Paris")
    assert not fires(stack, test, paris_noon.replace(hour=10, minute=59, second=59))
    assert fires(stack, test, paris_noon.replace(hour=11))
    assert runs(project, test) == 1


def test_a_completed_at_schedule_with_delete_is_deleted(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(minutes=5)), test, after="DELETE")
    clock.now = now + timedelta(minutes=5)
    wait_for(lambda: runs(project, test) == 1 and not exists(stack, f"s-{test}"))
    assert not fires(stack, test)
    assert runs(project, test) == 1


def test_a_fired_schedule_does_not_fire_again_after_a_restart(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(minutes=1)), test)
    clock.now = now + timedelta(minutes=1)
    wait_for(lambda: runs(project, test) == 1)

    stack.restart()
    assert exists(stack, f"s-{test}")  # the schedule itself survived the restart
    assert not fires(stack, test)
    assert runs(project, test) == 1
    listed = {s["name"]: s for s in requests.get(stack.base_url + "/_local/schedules", timeout=10).json()["schedules"]}
    assert listed[f"s-{test}"]["last_run"] is not None and listed[f"s-{test}"]["next_run"] is None


def test_an_at_schedule_missed_while_stopped_fires_once_on_start(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(hours=1)), test, after="DELETE")
    stack.stop()
    clock.now = now + timedelta(hours=3)
    stack.start()
    wait_for(lambda: runs(project, test) == 1 and not exists(stack, f"s-{test}"))
    assert not fires(stack, test)
    assert runs(project, test) == 1


def test_a_failing_target_is_retried_on_a_later_tick(stack, project, clock, now):
    test = uuid.uuid4().hex
    (project / "calls").mkdir(exist_ok=True)
    (project / "calls" / f"FAIL-{test}").touch()
    create(stack, f"s-{test}", at(now + timedelta(minutes=1)), test, after="DELETE")
    clock.now = now + timedelta(minutes=1)
    wait_for(lambda: runs(project, test, "attempt") == 1)
    assert runs(project, test) == 0 and exists(stack, f"s-{test}")  # not done, not deleted

    clock.now = now + timedelta(minutes=2)  # past the back-off
    wait_for(lambda: runs(project, test) == 1 and not exists(stack, f"s-{test}"))
    assert runs(project, test, "attempt") == 2


def test_a_target_that_keeps_failing_is_given_up_after_its_retry_policy(stack, project, clock, now):
    test = uuid.uuid4().hex
    (project / "calls").mkdir(exist_ok=True)
    (project / "calls" / f"FAILALWAYS-{test}").touch()
    create(stack, f"s-{test}", at(now + timedelta(minutes=1)), test, after="DELETE", retries=1)
    clock.now = now + timedelta(minutes=1)
    wait_for(lambda: runs(project, test, "attempt") == 1)
    clock.now = now + timedelta(minutes=2)  # the one retry, which fails too: given up
    wait_for(lambda: runs(project, test, "attempt") == 2 and not exists(stack, f"s-{test}"))
    clock.now = now + timedelta(minutes=30)
    assert not fires(stack, test)
    assert runs(project, test, "attempt") == 2 and runs(project, test) == 0


def test_a_rate_schedule_fires_each_period_once_and_collapses_missed_runs(stack, project, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", "rate(10 minutes)", test)
    assert not fires(stack, test)  # first sight: the rate counts from here
    assert not fires(stack, test, now + timedelta(minutes=9, seconds=59))
    assert fires(stack, test, now + timedelta(minutes=10))
    assert not fires(stack, test, now + timedelta(minutes=10, seconds=30))
    assert fires(stack, test, now + timedelta(minutes=45))  # 20, 30 and 40 collapse into one run
    assert runs(project, test) == 2


def test_the_templates_cron_event_fires_with_its_input(stack, project, clock, now):
    before = runs(project, "nightly")
    clock.now = (now + timedelta(days=1)).replace(hour=3, minute=0, second=30)
    wait_for(lambda: runs(project, "nightly") == before + 1)
    assert "template:TickerFunction/Nightly" not in stack.scheduler.tick()
    assert runs(project, "nightly") == before + 1
    listed = {s["key"]: s for s in requests.get(stack.base_url + "/_local/schedules", timeout=10).json()["schedules"]}
    nightly = listed["template:TickerFunction/Nightly"]
    assert nightly["expression"] == "cron(0 3 * * ? *)" and nightly["target"] == "TickerFunction"
    assert nightly["next_run"].startswith(f"{(clock.now + timedelta(days=1)):%Y-%m-%d}T03:00:00")


def test_a_schedule_can_be_fired_now_by_name(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(days=30)), test, after="DELETE")
    r = requests.post(f"{stack.base_url}/_local/schedules/s-{test}/run", timeout=10)
    assert r.status_code == 200
    assert runs(project, test) == 1
    assert not exists(stack, f"s-{test}")  # its one occurrence is done
    clock.now = now + timedelta(days=31)
    assert not fires(stack, test)
    assert runs(project, test) == 1


def test_firing_an_unknown_schedule_is_a_404(stack):
    r = requests.post(f"{stack.base_url}/_local/schedules/nope/run", timeout=10)
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
