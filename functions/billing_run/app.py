"""The monthly billing run: invoked by a tenant's billing schedule (one `at()` per occurrence,
crm.platform.scheduling); re-arms the series and puts one message per contract due on the billing
queue. A second delivery of the occurrence queues only what has no outcome yet."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from crm.finance import billing_run
from crm.platform import settings

logger, metrics = Logger(service="billing_run"), Metrics(service="billing_run")
settings.require(
    settings.TABLE_NAME,
    settings.MAIL_FROM,
    settings.BILLING_QUEUE_URL,
    settings.SCHEDULER_ROLE_ARN,
    settings.SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    outcome = billing_run.start(event, context.invoked_function_arn)
    logger.info("billing run", extra={"outcome": outcome, "series": event.get("series"), "occurrence": event.get("occurrence")})
    return {"outcome": outcome}
