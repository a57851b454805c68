"""Environment read once per cold start; a missing variable fails loudly on first use."""

from __future__ import annotations

import os
from functools import cache


class MissingSetting(RuntimeError):
    pass


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


@cache
def table_name() -> str:
    return _env("TABLE_NAME")


@cache
def idempotency_table_name() -> str:
    return _env("IDEMPOTENCY_TABLE")


@cache
def attachments_bucket() -> str:
    return _env("ATTACHMENTS_BUCKET")


@cache
def cursor_signing_key() -> bytes:
    return _env("CURSOR_SIGNING_KEY").encode()


@cache
def mail_from() -> str:
    return _env("MAIL_FROM")


@cache
def alerts_target() -> tuple[str, str, str]:
    """(function ARN, role ARN Scheduler assumes, schedule group) for one-off note alerts."""
    return _env("ALERTS_FUNCTION_ARN"), _env("SCHEDULER_ROLE_ARN"), _env("SCHEDULE_GROUP")


@cache
def report_schedules() -> tuple[str, str, str]:
    """(role ARN Scheduler assumes, schedule group, dead-letter queue ARN) of the emailed reports'
    schedules."""
    return _env("SCHEDULER_ROLE_ARN"), _env("REPORT_SCHEDULE_GROUP"), _env("REPORT_SCHEDULE_DLQ_ARN")


@cache
def report_delivery_function() -> str:
    """The function the reports' schedules invoke (for the API function that arms them; the
    delivery function re-arms with its own ARN, from its Lambda context)."""
    return _env("REPORT_DELIVERY_FUNCTION_ARN")


@cache
def public_api_url() -> str:
    """Where the API is reached from outside (links in emails, e.g. a report's unsubscribe link)."""
    return _env("PUBLIC_API_URL").rstrip("/")


@cache
def customer_user_pool_id() -> str:
    """The booking site's Cognito user pool (customers invited by email)."""
    return _env("CUSTOMER_USER_POOL_ID")


@cache
def booking_site_url() -> str:
    """Where the booking site is served; a contact's page is <url>/<slug>. An SSM parameter, as the
    URL is only known once its CloudFront distribution exists."""
    from crm.platform import aws

    name = _env("BOOKING_SITE_URL_PARAMETER")
    return aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"].rstrip("/")
