"""Report delivery: invoked by a subscription's EventBridge Scheduler runs; renders the report and
emails it to each recipient once per run."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from crm.platform import idempotency, settings
from crm.reports import delivery

logger, metrics = Logger(service="report_delivery"), Metrics(service="report_delivery")
settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,  # the unsubscribe links are signed with the API's key
    settings.MAIL_FROM,
    settings.SCHEDULER_ROLE_ARN,
    settings.REPORT_SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
    settings.PUBLIC_API_URL,
)


@logger.inject_lambda_context
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
