"""What the alarms of template.yaml watch is what the functions publish: the jobs outbox backlog
alarm reads the metric JobEventsFunction writes (Powertools Metrics, CloudWatch's embedded format),
under the namespace and dimension it names."""

from __future__ import annotations

import json

from infra import template
from tests.support.lambdas import FUNCTIONS, invoke


def test_the_outbox_backlog_alarm_watches_the_metric_the_redrive_publishes(aws, monkeypatch, capsys):
    monkeypatch.delitem(FUNCTIONS.base, "POWERTOOLS_METRICS_DISABLED")  # the tests keep metrics off stdout, but here
    invoke("JobEventsFunction", {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}})
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    metrics = {m["Name"]: (d["Namespace"], entry) for entry in emitted for d in entry["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}

    alarm = template.load()["Resources"]["JobEventsBacklog"]["Properties"]
    namespace, entry = metrics[alarm["MetricName"]]
    assert namespace == template.resolve(alarm["Namespace"], aws)
    assert all(entry[d["Name"]] == d["Value"] for d in alarm["Dimensions"])
    assert entry[alarm["MetricName"]] == [0.0]  # nothing pending
