"""The template's event subscriptions follow one pattern: rule -> queue (with a DLQ, allowed to
receive from the rule) -> one function that reports partial batch failures."""

from __future__ import annotations

from infra import template as tpl

T = tpl.load()
QUEUES = tpl.resources("AWS::SQS::Queue", T)
RULES = tpl.resources("AWS::Events::Rule", T)
POLICY = next(iter(tpl.resources("AWS::SQS::QueuePolicy", T).values()))["Properties"]


def _targets() -> dict[str, list[str]]:
    """Queue logical id -> the rules that send to it."""
    out: dict[str, list[str]] = {}
    for rule_id, rule in RULES.items():
        for target in rule["Properties"]["Targets"]:
            out.setdefault(target["Arn"]["Fn::GetAtt"][0], []).append(rule_id)
    return out


def test_every_rule_is_on_the_crm_bus_and_sends_to_queues_only():
    assert RULES
    for rule in RULES.values():
        assert rule["Properties"]["EventBusName"] == {"Ref": "EventBus"}
        assert all(t["Arn"]["Fn::GetAtt"][0] in QUEUES for t in rule["Properties"]["Targets"])


def test_every_subscriber_queue_has_a_dead_letter_queue_and_may_receive_from_its_rules():
    allowed_queues = {q["Ref"] for q in POLICY["Queues"]}
    (statement,) = POLICY["PolicyDocument"]["Statement"]
    allowed_arns = {r["Fn::GetAtt"][0] for r in statement["Resource"]}
    allowed_rules = {r["Fn::GetAtt"][0] for r in statement["Condition"]["ArnEquals"]["aws:SourceArn"]}
    for queue, rules in _targets().items():
        dlq = QUEUES[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert dlq in QUEUES and "RedrivePolicy" not in QUEUES[dlq]["Properties"], queue
        assert queue in allowed_queues and queue in allowed_arns and set(rules) <= allowed_rules, queue


def test_every_subscriber_queue_feeds_one_function_that_reports_partial_failures():
    consumers: dict[str, list[tpl.QueueEvent]] = {}
    for event in tpl.queue_events(T):
        consumers.setdefault(event.queue, []).append(event)
    globals_timeout = T["Globals"]["Function"]["Timeout"]
    for queue in _targets():
        (event,) = consumers[queue]
        assert event.reports_failures, queue
        timeout = T["Resources"][event.function]["Properties"].get("Timeout", globals_timeout)
        assert QUEUES[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout, queue  # Lambda's advice for a polled queue
