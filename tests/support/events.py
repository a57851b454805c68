"""Events on the bus, as the tests see them: delivered to their subscribers as in AWS (the
template's rules put them on their queues through moto's EventBridge, and the event source mappings
of infra/event_delivery.py hand each queue's messages to its function in genuine SQS batch events),
re-driven by OutboxFunction, refused by a bus that is down, or read from a queue of the test's own."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from crm.platform import aws as platform_aws
from crm.platform import clock
from infra import template
from infra.event_delivery import EventSourceMappings
from tests.support.lambdas import invoke


def subscribers(refs: dict[str, str]) -> EventSourceMappings:
    """The template's event source mappings on the `aws` fixture's moto."""
    return EventSourceMappings(boto3.client("sqs"), invoke, refs)


def deliver(refs: dict[str, str]) -> int:
    """Hand every queued event to its subscriber until the queues are empty; returns how many."""
    return subscribers(refs).drain()


def redrive() -> dict:
    """One scheduled run of OutboxFunction, with the event its ScheduleV2 hands it."""
    scheduled = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": template.ACCOUNT,
        "time": clock.iso(clock.now()),
        "region": template.REGION,
        "resources": [f"arn:aws:scheduler:{template.REGION}:{template.ACCOUNT}:schedule/default/RedriveEvents"],
        "detail": {},
    }
    return invoke("OutboxFunction", scheduled)


@contextmanager
def bus_down(monkeypatch) -> Iterator[None]:
    """While active, PutEvents refuses every entry (an outage of the bus)."""

    def refuse(**kwargs):
        entries = kwargs["Entries"]
        return {"FailedEntryCount": len(entries), "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "outage"}] * len(entries)}

    with monkeypatch.context() as patch:
        patch.setattr(platform_aws.client("events"), "put_events", refuse)  # the client the outbox uses (cached per container)
        yield


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
