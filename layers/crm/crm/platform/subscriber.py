"""A context's subscriptions to the CRM bus: EventBridge rules -> the context's SQS queue -> its
function, which handles each event with the handler registered for its type.

Each SQS record is one EventBridge event. A record whose handler raises, or whose detail does not
parse, is reported back to Lambda as failed (a partial batch response), so only it is retried;
after the queue's maxReceiveCount it lands in the queue's DLQ. Handlers must be idempotent: an
event may come twice (an at-least-once queue, a re-published outbox marker), or twice at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from crm.platform.outbox import Event

E = TypeVar("E", bound=Event)


class Subscriber:
    def __init__(self, service: str):
        self.logger = Logger(service=service)
        self.metrics = Metrics(service=service)
        self._handlers: dict[tuple[str, str], tuple[type[Event], Callable[[Any], None]]] = {}

    def on(self, event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
        """Register the handler of one event type (its source and detail type)."""

        def register(handle: Callable[[E], None]) -> Callable[[E], None]:
            self._handlers[(event_type.source, event_type.detail_type)] = (event_type, handle)
            return handle

        return register

    def _record(self, record: SQSRecord) -> None:
        envelope = json.loads(record.body)
        kind = (envelope.get("source", ""), envelope.get("detail-type", ""))
        if kind not in self._handlers:  # the rules send only what is subscribed to: nothing to retry
            self.logger.warning("no handler for this event", extra={"source": kind[0], "detail_type": kind[1]})
            return
        event_type, handle = self._handlers[kind]
        event = event_type.model_validate(envelope.get("detail"))
        about = {"detail_type": kind[1], "event_id": event.event_id, "tenant": event.tenant}
        try:
            handle(event)
        except Exception:
            self.logger.exception("event not handled; it will be retried", extra=about)
            raise
        self.logger.info("event handled", extra=about)
        self.metrics.add_metric(name="EventsHandled", unit=MetricUnit.Count, value=1)

    def handler(self) -> Callable[[dict, Any], PartialItemFailureResponse]:
        logger, metrics = self.logger, self.metrics

        @logger.inject_lambda_context
        @metrics.log_metrics
        def handler(event: dict, context: Any) -> PartialItemFailureResponse:
            # A processor per invocation: it holds the batch's state.
            return process_partial_response(
                event=event, record_handler=self._record, processor=BatchProcessor(EventType.SQS), context=context
            )

        return handler
