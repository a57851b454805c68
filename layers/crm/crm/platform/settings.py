"""Each function's environment: the variables its code reads, declared by the function and checked
at its cold start.

A function's module calls `require(...)` at import (Lambda's init phase) with the names below that
its routes read: a variable template.yaml does not give that function fails the cold start with a
message naming it, instead of the first request that happens to need it. The accessors read
os.environ on every call (a dictionary lookup, so nothing stale survives a change of environment);
what takes an AWS call to resolve (SSM parameters) is cached by Powertools Parameters.
"""

from __future__ import annotations

import os

TABLE_NAME = "TABLE_NAME"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
CURSOR_KEYS_PARAMETER = "CURSOR_KEYS_PARAMETER"  # the SSM parameter holding the cursor signing keys
ATTACHMENTS_BUCKET = "ATTACHMENTS_BUCKET"
DOCUMENTS_BUCKET = "DOCUMENTS_BUCKET"
MAIL_FROM = "MAIL_FROM"
ALERTS_FUNCTION_ARN = "ALERTS_FUNCTION_ARN"
SCHEDULER_ROLE_ARN = "SCHEDULER_ROLE_ARN"
SCHEDULE_GROUP = "SCHEDULE_GROUP"
SCHEDULES_DLQ_ARN = "SCHEDULES_DLQ_ARN"  # where Scheduler puts a one-off schedule it could not deliver
CUSTOMER_USER_POOL_ID = "CUSTOMER_USER_POOL_ID"
BOOKING_SITE_URL_PARAMETER = "BOOKING_SITE_URL_PARAMETER"
EVENT_BUS_NAME = "EVENT_BUS_NAME"
STOCK_ALERTS_FUNCTION_ARN = "STOCK_ALERTS_FUNCTION_ARN"  # the function each tenant's daily reorder alert invokes
APP_URL = "APP_URL"  # where office users open the CRM (links in emails)
REPORT_SCHEDULE_GROUP = "REPORT_SCHEDULE_GROUP"  # the emailed reports' schedules (one series each)
REPORT_DELIVERY_FUNCTION_ARN = "REPORT_DELIVERY_FUNCTION_ARN"
PUBLIC_API_URL = "PUBLIC_API_URL"  # the API's address from outside, for links in emails
EINVOICING_PLATFORM = "EINVOICING_PLATFORM"  # the e-invoicing platform's adapter (crm/finance/einvoice/port.py)
BILLING_RUN_FUNCTION_ARN = "BILLING_RUN_FUNCTION_ARN"  # the function each tenant's monthly billing run invokes
BILLING_QUEUE_URL = "BILLING_QUEUE_URL"  # one message per contract to bill, for the billing worker

# Cached SSM values are read again after this long (the booking site's URL changes with its domain).
PARAMETER_MAX_AGE = 300


class MissingSetting(RuntimeError):
    pass


def require(*names: str) -> tuple[str, ...]:
    """Fail now, naming every missing variable, unless each of `names` is set; returns `names`."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "this function")
        raise MissingSetting(f"{function} cannot start: its environment (template.yaml) has no {', '.join(missing)}")
    return names


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"environment variable {name} is not set (declare it in the function's require() and template.yaml)")
    return value


def table_name() -> str:
    return _env(TABLE_NAME)


def idempotency_table_name() -> str:
    return _env(IDEMPOTENCY_TABLE)


def cursor_keys_parameter() -> str:
    return _env(CURSOR_KEYS_PARAMETER)


def attachments_bucket() -> str:
    return _env(ATTACHMENTS_BUCKET)


def documents_bucket() -> str:
    """Where issued financial documents' PDFs are kept (never replaced once written)."""
    return _env(DOCUMENTS_BUCKET)


def mail_from() -> str:
    return _env(MAIL_FROM)


def alerts_target() -> tuple[str, str, str]:
    """(function ARN, role ARN Scheduler assumes, schedule group) for one-off note alerts."""
    return _env(ALERTS_FUNCTION_ARN), _env(SCHEDULER_ROLE_ARN), _env(SCHEDULE_GROUP)


def schedules_dead_letter_arn() -> str:
    """The SQS queue Scheduler sends a schedule's event to once it gives up delivering it."""
    return _env(SCHEDULES_DLQ_ARN)


def report_schedules() -> tuple[str, str, str]:
    """(role ARN Scheduler assumes, schedule group, dead-letter queue ARN) of the emailed reports'
    schedules; what Scheduler cannot deliver goes to the one schedules' dead-letter queue."""
    return _env(SCHEDULER_ROLE_ARN), _env(REPORT_SCHEDULE_GROUP), schedules_dead_letter_arn()


def report_delivery_function() -> str:
    """The function the reports' schedules invoke (for the API function that arms them; the
    delivery function re-arms with its own ARN, from its Lambda context)."""
    return _env(REPORT_DELIVERY_FUNCTION_ARN)


def billing_run_function_arn() -> str:
    """The function the tenants' billing runs invoke (it re-arms itself with its own ARN)."""
    return _env(BILLING_RUN_FUNCTION_ARN)


def billing_queue_url() -> str:
    return _env(BILLING_QUEUE_URL)


def public_api_url() -> str:
    """Where the API is reached from outside (links in emails, e.g. a report's unsubscribe link)."""
    return _env(PUBLIC_API_URL).rstrip("/")


def customer_user_pool_id() -> str:
    """The booking site's Cognito user pool (customers invited by email)."""
    return _env(CUSTOMER_USER_POOL_ID)


def event_bus_name() -> str:
    """The EventBridge bus every context's events are published on (crm/platform/outbox.py)."""
    return _env(EVENT_BUS_NAME)


def booking_site_url() -> str:
    """Where the booking site is served; a contact's page is <url>/<slug>. An SSM parameter, as the
    URL is only known once its CloudFront distribution exists."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(_env(BOOKING_SITE_URL_PARAMETER), max_age=PARAMETER_MAX_AGE)
    return str(value).rstrip("/")


def stock_alerts_function_arn() -> str:
    """The function the tenants' daily reorder alerts invoke (it re-arms itself with its own ARN)."""
    return _env(STOCK_ALERTS_FUNCTION_ARN)


def stock_alerts_schedules() -> tuple[str, str, str]:
    """(role ARN Scheduler assumes, schedule group, dead-letter queue ARN) of the reorder alerts."""
    return _env(SCHEDULER_ROLE_ARN), _env(SCHEDULE_GROUP), schedules_dead_letter_arn()


def app_url() -> str:
    """Where office users open the CRM (links in emails, e.g. to the reorder report)."""
    return _env(APP_URL).rstrip("/")


def einvoicing_platform() -> str:
    """Which e-invoicing platform adapter sends and answers invoices: `local` (S3, played answers)."""
    return _env(EINVOICING_PLATFORM)
