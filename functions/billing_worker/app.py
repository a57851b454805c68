"""The billing worker: each SQS record is one contract of a billing run; its due periods are billed
(one invoice each, exactly once) and its outcome recorded. A record that fails is reported back
(a partial batch response) and retried alone; after the queue's maxReceiveCount it lands in the
billing dead-letter queue, whose alarm pages someone."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from crm.finance import billing_run
from crm.platform import settings

logger, metrics = Logger(service="billing_worker"), Metrics(service="billing_worker")
settings.require(settings.TABLE_NAME, settings.DOCUMENTS_BUCKET, settings.ATTACHMENTS_BUCKET, settings.MAIL_FROM)


def _record(record: SQSRecord) -> None:
    try:
        billing_run.handle(record.body, int(record.attributes.approximate_receive_count))
    except Exception:
        logger.exception("contract not billed; it will be retried", extra={"message_id": record.message_id})
        raise
    metrics.add_metric(name="ContractsBilled", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=_record, processor=BatchProcessor(EventType.SQS), context=context)
