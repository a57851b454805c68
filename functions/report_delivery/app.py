"""Report delivery: invoked by a subscription's EventBridge Scheduler runs; renders the report and
emails it to each recipient once per run."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from crm.platform import idempotency
from crm.reports import delivery

logger, metrics, tracer = Logger(service="report_delivery"), Metrics(service="report_delivery"), Tracer(service="report_delivery")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    idempotency.bind(context)
    # Scheduler delivers at least once: the same run twice, or twice at once, sends once.
    # Powertools' idempotency guards the run; each recipient's delivery record guards beyond it.
    key = f"report:{event.get('series')}:{event.get('occurrence')}"
    outcome = idempotency.run_once(key, event, lambda: delivery.deliver(event, context.invoked_function_arn), ttl=idempotency.DELIVERY_TTL)
    if outcome.startswith("sent"):
        metrics.add_metric(name="ReportRunsDelivered", unit=MetricUnit.Count, value=1)
    logger.info("report run", extra={"outcome": outcome, "series": event.get("series"), "occurrence": event.get("occurrence")})
    return {"outcome": outcome}
