"""What the bus published, read through an SQS queue subscribed to its JobCompleted events."""

from __future__ import annotations

import json
import os

import boto3


def subscribe_queue() -> str:
    """A queue receiving every JobCompleted event of the bus; returns its URL."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="completed-jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = os.environ["EVENT_BUS_NAME"]
    events.put_rule(
        Name="all-completions", EventBusName=bus, EventPattern=json.dumps({"source": ["crm.jobs"], "detail-type": ["JobCompleted"]})
    )
    events.put_targets(Rule="all-completions", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def received(url: str) -> list[dict]:
    """The events the queue holds (taken from it)."""
    out = []
    while True:
        messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return out
        out += [json.loads(m["Body"]) for m in messages]
