"""The billing worker: each SQS record is one contract of a billing run; its due periods are billed
(one invoice each, exactly once) and its outcome recorded. The batch is read in two requests for all
its records; a record that fails is reported back (a partial batch response) and retried alone;
after the queue's maxReceiveCount it lands in the billing dead-letter queue, whose alarm pages
someone."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from crm.finance import billing_run
from crm.platform import settings

logger, metrics = Logger(service="billing_worker"), Metrics(service="billing_worker")
settings.require(settings.TABLE_NAME, settings.DOCUMENTS_BUCKET, settings.ATTACHMENTS_BUCKET, settings.MAIL_FROM)


def _messages(records: list[dict]) -> tuple[list[billing_run.Message], list[str]]:
    """The records as messages, and the ids of those that are not one (they fail, alone)."""
    messages, malformed = [], []
    for record in records:
        try:
            count = int(record["attributes"]["ApproximateReceiveCount"])
            messages.append(billing_run.Message.parse(record["messageId"], record["body"], count))
        except (KeyError, ValueError, TypeError):
            logger.exception("not a billing message", extra={"message_id": record.get("messageId")})
            malformed.append(record["messageId"])
    return messages, malformed


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    messages, malformed = _messages(event["Records"])
    failed = [*malformed, *billing_run.handle_batch(messages)]
    metrics.add_metric(name="ContractsBilled", unit=MetricUnit.Count, value=len(messages) - len(failed) + len(malformed))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
