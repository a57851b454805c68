"""Outbox: invoked every 5 minutes by its schedule; publishes the events whose request could not.

Every context owes its events through crm.platform.outbox and publishes them right after its
commit; this run catches what was left pending (the bus refused, the function died): each pending
marker is claimed on condition before it is put on the bus, so two runs at once, a retried run or
a run racing the request that owes the event publish each event once. A run handles at most
`outbox.REDRIVE_LIMIT` markers and stops early when the Lambda is running out of time; the rest
wait for the next run (no fan-out needed at that size).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from crm.platform import outbox, settings

logger, metrics = Logger(service="outbox"), Metrics(service="outbox")
settings.require(settings.TABLE_NAME, settings.EVENT_BUS_NAME)
SAFETY_MS = 5_000  # a claim, a PutEvents (retried) and a mark must fit in what is left


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    counts = outbox.redrive_everywhere(out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MS)
    metrics.add_metric(name="EventsRedriven", unit=MetricUnit.Count, value=counts["published"])
    metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=counts["failed"])
    metrics.add_metric(name="EventsPending", unit=MetricUnit.Count, value=counts["remaining"])
    extra = {**counts, "schedule_event_id": event.get("id") if isinstance(event, dict) else None}
    if counts["failed"]:
        logger.error("outbox re-drive: some events are still refused by the bus", extra=extra)
    elif counts["remaining"]:
        logger.warning(f"outbox re-drive: {counts['remaining']} pending events remain for the next run", extra=extra)
    else:
        logger.info("outbox re-drive", extra=extra)
    return counts
