"""The local stack's scheduler: due schedules fire their target once, also across restarts; its
clock moves on POST /_local/clock (the functions see the same time); and a series armed through
crm.platform.scheduling runs once on each day of the daylight-saving changes.

The stack runs a tiny project of its own (a ticker function that records what it receives, and a
series function that re-arms its series as a real owner would) with a fake clock: time only moves
when a test moves it, so nothing here waits for the wall clock. The rules the runner copies from
AWS are tested one by one in test_local_scheduler_rules.py.
"""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from botocore.exceptions import ClientError

from infra.local import LocalStack

PARIS = ZoneInfo("Europe/Paris")

TEMPLATE = """
Parameters:
  MailFrom: {Type: String, Default: local@example.com}
  CursorSigningKey: {Type: String}
Globals:
  Function:
    Environment:
      Variables:
        CALLS_DIR: %(calls)s
        SCHEDULE_GROUP: !Ref Alerts
        SCHEDULER_ROLE_ARN: arn:aws:iam::123456789012:role/scheduler
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
  SeriesFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/series/
      Handler: app.handler
  Alerts:
    Type: AWS::Scheduler::ScheduleGroup
    Properties: {Name: alerts}
"""

TICKER = """
import json, os, pathlib, uuid

from crm.platform import clock


def handler(event, context):
    calls = pathlib.Path(os.environ["CALLS_DIR"])
    calls.mkdir(exist_ok=True)
    (calls / f"ok-{uuid.uuid4().hex}.json").write_text(json.dumps({**event, "now": clock.now().isoformat()}))
    return {"ok": True}
"""

# What an owner of a series does (the reorder alert, the billing run, a report subscription): arm
# it once, then on every delivery ask `delivered` which occurrence to act on, and act on it once.
SERIES = """
import json, os, pathlib

from crm.platform import clock, scheduling
from crm.platform.recurrence import Recurrence

PARIS_0230 = Recurrence(frequency="daily", time="02:30", timezone="Europe/Paris")


def handler(event, context):
    target = scheduling.ScheduleTarget(context.invoked_function_arn, os.environ["SCHEDULER_ROLE_ARN"], os.environ["SCHEDULE_GROUP"])
    if "arm" in event:
        return [t.isoformat() for t in scheduling.arm(event["arm"], PARIS_0230, target, {"tenant": "t1"})]
    occurrence = scheduling.delivered(event, PARIS_0230, target)
    calls = pathlib.Path(os.environ["CALLS_DIR"])
    calls.mkdir(exist_ok=True)
    run = {"series": occurrence.series, "at": occurrence.at.isoformat(), "now": clock.now().isoformat()}
    (calls / f"run-{occurrence.series}-{occurrence.at:%Y%m%dT%H%M}.json").write_text(json.dumps(run))
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
    for name, code in (("ticker", TICKER), ("series", SERIES)):
        (root / "functions" / name).mkdir(parents=True)
        (root / "functions" / name / "app.py").write_text(textwrap.dedent(code))
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


def received(project: Path, test: str) -> list[dict]:
    calls = project / "calls"
    return [e for f in calls.glob("ok-*.json") if (e := json.loads(f.read_text())).get("test") == test] if calls.exists() else []


def runs(project: Path, series: str) -> list[dict]:
    return sorted((json.loads(f.read_text()) for f in (project / "calls").glob(f"run-{series}-*.json")), key=lambda r: r["at"])


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def at(t: datetime) -> str:
    return f"at({t.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


def create(stack, name: str, expression: str, test: str, after: str = "NONE", tz: str = "UTC") -> None:
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
        },
    )


def exists(stack, name: str) -> bool:
    try:
        stack.client("scheduler").get_schedule(Name=name, GroupName=stack.refs["Alerts"])
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return False


def set_clock(stack, moment: datetime, **more) -> dict:
    reply = requests.post(f"{stack.base_url}/_local/clock", json={"now": moment.isoformat(), **more}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_at_schedule_fires_once_when_its_time_comes(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(hours=1)), test)
    assert not fires(stack, test)

    clock.now = now + timedelta(hours=1)  # the stack's own scheduler thread delivers it
    wait_for(lambda: len(received(project, test)) == 1)
    assert not fires(stack, test) and not fires(stack, test, now + timedelta(hours=5))
    assert len(received(project, test)) == 1
    assert received(project, test)[0]["now"] == clock.now.isoformat()  # the function saw the stack's clock
    assert exists(stack, f"s-{test}")  # ActionAfterCompletion NONE keeps it


def test_a_fired_schedule_does_not_fire_again_after_a_restart(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(minutes=1)), test)
    clock.now = now + timedelta(minutes=1)
    wait_for(lambda: len(received(project, test)) == 1)

    stack.restart()
    assert exists(stack, f"s-{test}")  # the schedule itself survived the restart
    assert not fires(stack, test)
    assert len(received(project, test)) == 1
    listed = {s["name"]: s for s in requests.get(stack.base_url + "/_local/schedules", timeout=10).json()["schedules"]}
    assert listed[f"s-{test}"]["last_run"] is not None and listed[f"s-{test}"]["next_run"] is None


def test_an_at_schedule_missed_while_stopped_fires_once_on_start(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(hours=1)), test, after="DELETE")
    stack.stop()
    clock.now = now + timedelta(hours=3)
    stack.start()
    wait_for(lambda: len(received(project, test)) == 1 and not exists(stack, f"s-{test}"))
    assert not fires(stack, test)
    assert len(received(project, test)) == 1


def test_the_templates_cron_event_fires_with_its_input(stack, project, clock, now):
    before = len(received(project, "nightly"))
    clock.now = (now + timedelta(days=1)).replace(hour=3, minute=0, second=30)
    wait_for(lambda: len(received(project, "nightly")) == before + 1)
    assert "template:TickerFunction/Nightly" not in stack.scheduler.tick()
    assert len(received(project, "nightly")) == before + 1
    listed = {s["key"]: s for s in requests.get(stack.base_url + "/_local/schedules", timeout=10).json()["schedules"]}
    nightly = listed["template:TickerFunction/Nightly"]
    assert nightly["expression"] == "cron(0 3 * * ? *)" and nightly["target"] == "TickerFunction"
    assert nightly["next_run"].startswith(f"{(clock.now + timedelta(days=1)):%Y-%m-%d}T03:00:00")


def test_a_schedule_can_be_fired_now_by_name(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(days=30)), test, after="DELETE")
    r = requests.post(f"{stack.base_url}/_local/schedules/s-{test}/run", timeout=10)
    assert r.status_code == 200
    assert len(received(project, test)) == 1
    assert not exists(stack, f"s-{test}")  # its one occurrence is done
    clock.now = now + timedelta(days=31)
    assert not fires(stack, test)
    assert len(received(project, test)) == 1


def test_firing_an_unknown_schedule_is_a_404(stack):
    r = requests.post(f"{stack.base_url}/_local/schedules/nope/run", timeout=10)
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"


def test_the_clock_moves_on_request_and_delivers_what_became_due(stack, project, clock, now):
    test = uuid.uuid4().hex
    create(stack, f"s-{test}", at(now + timedelta(days=3)), test)
    stack.scheduler.tick()
    try:
        moved = set_clock(stack, now + timedelta(days=3))
        assert f"scheduler:{stack.refs['Alerts']}/s-{test}" in moved["fired"]
        assert received(project, test)[0]["now"] == (now + timedelta(days=3)).isoformat()
        shown = requests.get(f"{stack.base_url}/_local/clock", timeout=10).json()
        assert shown == {"now": (now + timedelta(days=3)).isoformat(), "set": True, "running": False}  # it stands still
        assert set_clock(stack, now + timedelta(days=3, seconds=5), running=True)["fired"] == []
        assert datetime.fromisoformat(requests.get(f"{stack.base_url}/_local/clock", timeout=10).json()["now"]) >= now + timedelta(
            days=3, seconds=5
        )
    finally:
        assert requests.delete(f"{stack.base_url}/_local/clock", timeout=10).json()["set"] is False
    assert requests.get(f"{stack.base_url}/_local/clock", timeout=10).json()["now"] == clock.now.isoformat()  # the stack's own clock again


@pytest.mark.parametrize(
    "body", [{}, {"now": "tomorrow"}, {"now": "2027-03-28T01:30:00"}, {"now": "2027-03-28T01:30:00Z", "running": "yes"}, []]
)
def test_a_clock_that_is_no_time_is_refused(stack, body):
    reply = requests.post(f"{stack.base_url}/_local/clock", json=body, timeout=10)
    assert reply.status_code == 422 and reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["errors"] and requests.get(f"{stack.base_url}/_local/clock", timeout=10).json()["set"] is False


def test_a_daily_0230_series_runs_once_on_each_day_of_the_paris_changes(stack, project, clock, now):
    """The issue's case: 02:30 in Europe/Paris, armed through crm.platform.scheduling and re-armed
    by its target, as the reorder alert will be. The clock is moved minute by minute over each
    change; every run lands once, on its day (03:30 CEST on 2027-03-28, 02:30 CEST on 2027-10-31)."""
    series = stack.functions["SeriesFunction"]
    expected = {
        "spring": ["2027-03-28T03:30+02:00", "2027-03-29T02:30+02:00"],  # 02:30 does not exist on the 28th
        "autumn": ["2027-10-31T02:30+02:00", "2027-11-01T02:30+01:00"],  # 02:30 happens twice on the 31st
    }
    try:
        for name, day in (("spring", datetime(2027, 3, 28, tzinfo=UTC)), ("autumn", datetime(2027, 10, 31, tzinfo=UTC))):
            set_clock(stack, day - timedelta(hours=12))
            assert series.invoke({"arm": name})  # the owner arms it (in a route, when the tenant saves its settings)
            minute = day - timedelta(hours=2)
            while minute <= day + timedelta(days=1, hours=2):
                set_clock(stack, minute)
                minute += timedelta(minutes=15)
            delivered = runs(project, name)
            assert [datetime.fromisoformat(r["at"]).astimezone(PARIS).isoformat(timespec="minutes") for r in delivered] == expected[name]
            assert all(r["now"] == r["at"] for r in delivered)  # each delivered at its time, and once
    finally:
        requests.delete(f"{stack.base_url}/_local/clock", timeout=10)
