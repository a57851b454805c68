"""The daily reorder alert: invoked by each tenant's recurring schedule (one `at()` per
occurrence, crm.platform.scheduling); emails what newly crossed its reorder point, once."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from crm.platform import idempotency, settings
from crm.stock import alerts

logger, metrics = Logger(service="stock_alerts"), Metrics(service="stock_alerts")
settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.MAIL_FROM,
    settings.APP_URL,
    settings.SCHEDULER_ROLE_ARN,
    settings.SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    idempotency.bind(context)
    outcome = alerts.deliver(event, context.invoked_function_arn)
    if outcome == "sent":
        metrics.add_metric(name="ReorderAlertsSent", unit=MetricUnit.Count, value=1)
    logger.info("reorder alert", extra={"outcome": outcome, "series": event.get("series"), "occurrence": event.get("occurrence")})
    return {"outcome": outcome}
