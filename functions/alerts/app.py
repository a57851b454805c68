"""Alerts: invoked by a note's one-off EventBridge Scheduler schedule; emails the reminder once."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict

from crm.contacts import alerts
from crm.platform import idempotency, settings

logger, metrics = Logger(service="alerts"), Metrics(service="alerts")
settings.require(settings.TABLE_NAME, settings.IDEMPOTENCY_TABLE, settings.MAIL_FROM)


class NoteAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: str
    contact_id: str
    note_id: str


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    alert = NoteAlert.model_validate(event)
    idempotency.bind(context)

    # Scheduler delivers at least once and retries for a day: the same alert twice, or twice at
    # once, must send one email. Powertools' idempotency guards the run; the note's state guards
    # beyond the record's lifetime.
    def deliver() -> str:
        outcome = alerts.deliver(alert.tenant, alert.contact_id, alert.note_id)
        if outcome == "sent":
            metrics.add_metric(name="NoteAlertsSent", unit=MetricUnit.Count, value=1)
        return outcome

    outcome = idempotency.run_once(f"alert:{alert.tenant}:{alert.note_id}", alert.model_dump(), deliver, ttl=idempotency.DELIVERY_TTL)
    logger.info("note alert", extra={"outcome": outcome, **alert.model_dump()})
    return {"outcome": outcome}
