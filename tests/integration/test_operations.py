"""What template.yaml's operations promise holds in the running code: the outbox alarm reads the
metric OutboxFunction writes (Powertools Metrics, CloudWatch's embedded format) under the
namespace and dimension it names; a schedule created in code retries and dead-letters where
Scheduler may send; no function loads a tracing SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import boto3

from crm.platform import clock
from infra import template
from tests.support import iam
from tests.support.lambdas import FUNCTIONS, call, invoke, module


def test_the_outbox_alarms_watch_the_metrics_the_redrive_publishes(aws, monkeypatch, capsys):
    monkeypatch.delitem(FUNCTIONS.base, "POWERTOOLS_METRICS_DISABLED")  # the tests keep metrics off stdout, but here
    module("OutboxFunction").metrics.clear_metrics()  # what earlier tests' runs left unflushed (disabled)
    invoke("OutboxFunction", {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}})
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    metrics = {m["Name"]: (d["Namespace"], entry) for entry in emitted for d in entry["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}

    for name in ("OutboxBacklog", "OutboxRefused"):  # events pending, events the bus refused
        alarm = template.load()["Resources"][name]["Properties"]
        namespace, entry = metrics[alarm["MetricName"]]
        assert namespace == template.resolve(alarm["Namespace"], aws)
        assert all(entry[d["Name"]] == d["Value"] for d in alarm["Dimensions"])
        assert entry[alarm["MetricName"]] == [0.0]  # nothing pending, nothing refused


def test_a_notes_one_off_alert_schedule_retries_then_dead_letters_where_scheduler_may_send(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    alert_at = clock.iso(clock.now() + timedelta(hours=1))
    note = call("POST", f"/contacts/{contact['id']}/notes", body={"text": "Renewal", "alert_at": alert_at}).json

    target = boto3.client("scheduler").get_schedule(Name=f"note-{note['id']}", GroupName=aws["AlertScheduleGroup"])["Target"]
    queue = boto3.client("sqs").get_queue_url(QueueName=aws["ScheduleDeadLetterQueue"])["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert target["DeadLetterConfig"] == {"Arn": queue_arn} and target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    # Scheduler sends there with the role the schedule names, which must be allowed to.
    role = template.load()["Resources"]["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert iam.allowed(template.resolve(role, aws), iam.Request("sqs:SendMessage", queue_arn))


def test_no_function_loads_a_tracing_sdk():
    """Lambda's active tracing needs no SDK; Powertools Tracer (the X-Ray SDK, which the layer does
    not even ship) would also capture response bodies, personal data included, into traces."""
    code = "\n".join(
        [
            "import importlib.util, sys",
            *(
                f"s = importlib.util.spec_from_file_location('fn_{logical_id}', {str(template.ROOT / fn.code_uri / 'app.py')!r}); "
                f"m = importlib.util.module_from_spec(s); sys.modules[s.name] = m; s.loader.exec_module(m)"
                for logical_id, fn in template.functions().items()
            ),
            "print(sorted(n for n in sys.modules if n.startswith('aws_xray_sdk')))",  # what a Tracer() would load
        ]
    )
    refs = template.local_refs()
    environment = {**os.environ, "PYTHONPATH": str(template.ROOT / "layers" / "crm")}
    for logical_id in template.functions():  # a fresh interpreter, every function's variables
        environment |= template.function_environment(logical_id, refs)
    run = [sys.executable, "-c", code]
    loaded = subprocess.run(run, env=environment, capture_output=True, text=True, check=True).stdout  # noqa: S603 - our own code
    assert loaded.strip() == "[]"
