"""Published events delivered to their subscribers, as in AWS: the template's rules put them on
their queues (moto's EventBridge), and the event source mappings (infra/event_delivery.py) hand
each queue's messages to its function in genuine SQS batch events."""

from __future__ import annotations

import boto3

from infra.event_delivery import EventSourceMappings
from tests.support.lambdas import invoke


def subscribers(refs: dict[str, str]) -> EventSourceMappings:
    """The template's event source mappings on the `aws` fixture's moto."""
    return EventSourceMappings(boto3.client("sqs"), invoke, refs)


def deliver(refs: dict[str, str]) -> int:
    """Hand every queued event to its subscriber until the queues are empty; returns how many."""
    return subscribers(refs).drain()
