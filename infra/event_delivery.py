"""Lambda's SQS event source mappings, locally: the last hop of an event published on the bus.

moto's EventBridge already matches each published event against the template's rules and sends
it to their SQS targets (infra/template.py creates the rules and queues). This module does what
Lambda's pollers do in AWS: for each function's SQS event in the template it receives up to
BatchSize messages from the queue, invokes the function with a genuine SQS batch event, and
deletes the messages the function handled. With ReportBatchItemFailures, the records named in
`batchItemFailures` stay; a function error leaves the whole batch. What stays becomes visible
again after the queue's VisibilityTimeout and is retried; once received maxReceiveCount times, SQS
(moto) moves it to the queue's dead-letter queue.

The local stack runs `start()` (a poller thread); tests call `drain()`, and `expire_in_flight()`
to make failed messages visible now rather than after the visibility timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra import template as tpl

log = logging.getLogger(__name__)


@dataclass
class _Mapping:
    function: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int
    reports_failures: bool
    in_flight: list[str] = field(default_factory=list)  # receipt handles of failed messages not yet visible again


def _record(message: dict, queue_arn: str) -> dict:
    """An SQS message as Lambda hands it to a function (the SQS event's record shape)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": tpl.REGION,
    }


class EventSourceMappings:
    def __init__(self, sqs, invoke: Callable[[str, dict], Any], refs: dict[str, str], template: dict | None = None):
        """`sqs`: a boto3 SQS client on the stack's moto; `invoke(function logical id, event)` runs
        the function's handler as Lambda would and returns what it returned."""
        template = template or tpl.load()
        self._sqs, self._invoke = sqs, invoke
        self.mappings = [
            _Mapping(
                function=e.function,
                queue_url=sqs.get_queue_url(QueueName=refs[e.queue])["QueueUrl"],
                queue_arn=tpl.resolve({"Fn::GetAtt": [e.queue, "Arn"]}, refs, template),
                batch_size=e.batch_size,
                reports_failures=e.reports_failures,
            )
            for e in tpl.queue_events(template)
        ]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """One receive per queue that has visible messages, each batch handed to its function;
        returns how many messages were handed over."""
        handed = 0
        for mapping in self.mappings:
            waiting = self._sqs.get_queue_attributes(QueueUrl=mapping.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
            if int(waiting["Attributes"]["ApproximateNumberOfMessages"]) == 0:
                continue  # a read: an idle stack does not count as changed (no snapshot)
            messages = self._sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=min(mapping.batch_size, 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if messages:
                self._deliver(mapping, messages)
                handed += len(messages)
        return handed

    def _deliver(self, mapping: _Mapping, messages: list[dict]) -> None:
        event = {"Records": [_record(m, mapping.queue_arn) for m in messages]}
        try:
            response = self._invoke(mapping.function, event)
        except Exception:
            log.exception("%s failed on a batch of %d: every message stays for a retry", mapping.function, len(messages))
            failed = {m["MessageId"] for m in messages}
        else:
            reported = (response or {}).get("batchItemFailures", []) if mapping.reports_failures else []
            failed = {f.get("itemIdentifier") for f in reported}
            if failed - {m["MessageId"] for m in messages}:  # Lambda treats an unknown identifier as the whole batch failing
                failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            self._sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=entries)
        mapping.in_flight = (mapping.in_flight + [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed])[-1000:]

    def drain(self, max_rounds: int = 50) -> int:
        """Poll until no queue has a visible message (failed ones stay in flight); returns how many
        messages were handed over in all."""
        total = 0
        for _ in range(max_rounds):
            handed = self.poll()
            if not handed:
                return total
            total += handed
        raise RuntimeError(f"the queues still had messages after {max_rounds} rounds")

    def expire_in_flight(self) -> int:
        """Make the messages that failed visible again now, as if their visibility timeout had
        passed (tests do not wait for it). Returns how many."""
        count = 0
        for mapping in self.mappings:
            for handle in mapping.in_flight:
                self._sqs.change_message_visibility(QueueUrl=mapping.queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
                count += 1
            mapping.in_flight.clear()
        return count

    # ---------------------------------------------------------------- the local stack's poller

    def start(self, interval: float = 0.5) -> None:
        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.poll()
                except Exception:
                    log.exception("polling the event queues failed")

        self._stop.clear()
        self._thread = threading.Thread(target=run, name="event-source-mappings", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
