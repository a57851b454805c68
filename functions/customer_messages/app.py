"""CustomMessage trigger of the customer user pool: the forgot-password email in the customer's
language (crm.booking.cognito_messages). Cognito invokes it synchronously and waits for it, so it
reads two items and nothing else; on failure Cognito answers the page's call with an error."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from crm.booking import cognito_messages
from crm.platform import settings

logger = Logger(service="customer_messages")
settings.require(settings.TABLE_NAME)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    answer = cognito_messages.forgot_password(event)
    logger.info(
        "custom message", extra={"trigger": event.get("triggerSource"), "written": bool((answer.get("response") or {}).get("emailMessage"))}
    )
    return answer
