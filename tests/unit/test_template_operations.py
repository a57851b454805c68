"""No failure is silent in AWS, read from template.yaml: the pattern its operations section names,
checked for every function, queue, schedule and rule, so a context added later cannot skip it."""

from __future__ import annotations

import pytest

from infra import template

RESOURCES = template.load()["Resources"]
GLOBALS = template.load()["Globals"]["Function"]
FUNCTIONS = sorted(template.functions())
ASYNC_EVENTS = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "S3", "SNS"}


def _alarms() -> list[dict]:
    return [r["Properties"] for r in template.resources("AWS::CloudWatch::Alarm").values()]


def _alarms_on(namespace: str, metric: str) -> list[dict]:
    return [a for a in _alarms() if a.get("Namespace") == namespace and a.get("MetricName") == metric]


def _dimension(alarm: dict, name: str):
    return next((d["Value"] for d in alarm.get("Dimensions", []) if d["Name"] == name), None)


def test_every_alarm_notifies_the_alarm_topic():
    assert _alarms()
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in _alarms())
    subscription = template.resources("AWS::SNS::Subscription")["AlarmSubscription"]
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"} and subscription["Condition"] == "HasAlarmEmail"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_an_errors_alarm(function):
    assert any(_dimension(a, "FunctionName") == {"Ref": function} for a in _alarms_on("AWS/Lambda", "Errors")), function


def test_throttles_raise_an_alarm_whichever_function_is_throttled():
    (alarm,) = _alarms_on("AWS/Lambda", "Throttles")
    assert "Dimensions" not in alarm  # the account's throttles: every function, present and future


def test_every_function_logs_to_a_group_with_a_retention():
    group = GLOBALS["LoggingConfig"]["LogGroup"]
    assert RESOURCES[group["Ref"]]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert all("LoggingConfig" not in RESOURCES[f]["Properties"] for f in FUNCTIONS), "a function's own LoggingConfig skips the retention"
    assert all("RetentionInDays" in g["Properties"] for g in template.resources("AWS::Logs::LogGroup").values())


def test_asynchronous_invocations_end_in_a_queue_with_an_alarm():
    on_failure = GLOBALS["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS" and GLOBALS["EventInvokeConfig"]["MaximumRetryAttempts"] >= 1
    queue = on_failure["Destination"]["Fn::GetAtt"][0]
    assert _depth_alarm(queue)
    asynchronous = [f for f in FUNCTIONS if any(e["Type"] in ASYNC_EVENTS for e in RESOURCES[f]["Properties"].get("Events", {}).values())]
    assert asynchronous and all("EventInvokeConfig" not in RESOURCES[f]["Properties"] for f in asynchronous)


def _depth_alarm(queue: str) -> bool:
    return any(
        _dimension(a, "QueueName") == {"Fn::GetAtt": [queue, "QueueName"]}
        for a in _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    )


def _dead_letter_queues() -> set[str]:
    named = set()
    for props in [q.get("Properties", {}) for q in template.resources("AWS::SQS::Queue").values()]:
        if "RedrivePolicy" in props:
            named.add(props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
    named.add(GLOBALS["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0])
    return named | {_dlq(t) for t in _targets_with_dead_letters()}


def _targets_with_dead_letters() -> list[dict]:
    """Every schedule and rule target, SAM's or plain."""
    targets = []
    for function in FUNCTIONS:
        for event in RESOURCES[function]["Properties"].get("Events", {}).values():
            if event["Type"] in ASYNC_EVENTS - {"S3", "SNS"}:
                targets.append(event["Properties"])
    targets += [r["Properties"]["Target"] for r in template.resources("AWS::Scheduler::Schedule").values()]
    targets += [t for r in template.resources("AWS::Events::Rule").values() for t in r["Properties"].get("Targets", [])]
    return targets


def _dlq(target: dict) -> str:
    return target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]


def test_every_schedule_and_rule_target_retries_then_keeps_what_it_could_not_deliver():
    targets = _targets_with_dead_letters()
    assert targets
    for target in targets:
        assert "RetryPolicy" in target and "DeadLetterConfig" in target, target
        assert _depth_alarm(_dlq(target))


def test_every_queue_has_a_dead_letter_queue_and_every_dead_letter_queue_an_alarm():
    dead_letter_queues = _dead_letter_queues()
    for logical_id, queue in template.resources("AWS::SQS::Queue").items():
        props = queue.get("Properties", {})
        assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), logical_id
        if logical_id in dead_letter_queues:
            assert props["MessageRetentionPeriod"] == 1209600 and _depth_alarm(logical_id), logical_id
        else:
            assert props["RedrivePolicy"]["maxReceiveCount"] >= 1, f"{logical_id} has no dead-letter queue"


def test_the_api_answers_with_5xx_raise_an_alarm_and_every_request_is_logged():
    (alarm,) = _alarms_on("AWS/ApiGateway", "5XXError")
    api = RESOURCES["Api"]["Properties"]
    assert _dimension(alarm, "ApiName") == api["Name"] and _dimension(alarm, "Stage") == api["StageName"]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}


def test_an_outbox_backlog_raises_an_alarm():
    """On the metric OutboxFunction publishes (tests/integration/test_operations.py reads it)."""
    (alarm,) = _alarms_on({"Fn::Sub": "crm-${Stage}"}, "EventsPending")
    assert _dimension(alarm, "service") == "outbox" and alarm["EvaluationPeriods"] >= 2
    assert GLOBALS["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == {"Fn::Sub": "crm-${Stage}"}


def test_a_rules_dead_letter_queue_lets_that_rule_send_to_it():
    """EventBridge writes a rule's dead letters as itself, not with a role: without the queue's
    policy naming the rule, the undeliverable event is dropped."""
    policies = template.resources("AWS::SQS::QueuePolicy").values()
    for rule_id, rule in template.resources("AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            queue = _dlq(target)
            (policy,) = [p["Properties"]["PolicyDocument"] for p in policies if {"Ref": queue} in p["Properties"]["Queues"]]
            assert any(
                s["Effect"] == "Allow"
                and s["Principal"] == {"Service": "events.amazonaws.com"}
                and s["Action"] == "sqs:SendMessage"
                and {"Fn::GetAtt": [rule_id, "Arn"]} in s["Condition"]["ArnEquals"]["aws:SourceArn"]
                for s in policy["Statement"]
            ), (rule_id, target["Id"])
