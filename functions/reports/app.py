"""Reports API: each report with its filters, as JSON or as a CSV, XLSX, PDF or SVG file.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.platform import settings
from crm.platform.auth import PUBLIC, STAFF
from crm.platform.contract import HTML, JSON, PerClientLimit
from crm.platform.http import Api, page, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import IsoDate, Limit
from crm.reports import service, subscriptions, unsubscribe
from crm.reports.catalogue import PeriodFilters, ProjectionFilters, ReorderFilters, StatementFilters
from crm.reports.models import ReportAnswer, Subscription, SubscriptionFields, Unsubscribed

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.ATTACHMENTS_BUCKET,
    settings.REPORT_DELIVERY_FUNCTION_ARN,
    settings.SCHEDULER_ROLE_ARN,
    settings.REPORT_SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
)

api = Api("reports", reader_locale=reader_locale)
app = api.app
Format = Annotated[Literal["json", "csv", "xlsx", "pdf", "svg"], Query(description="json: the table; the others: also a file link")]
MonthParam = Annotated[str | None, Query(max_length=16, description="YYYY-MM")]
Text = Annotated[str | None, Query(max_length=254)]


@api.route("GET", "/reports/opportunity-projection", roles=STAFF, returns=ReportAnswer)
def opportunity_projection(
    format: Format = "json", from_month: MonthParam = None, to_month: MonthParam = None, owner: Text = None, stage_id: Text = None
):
    filters = ProjectionFilters.model_validate({"from_month": from_month, "to_month": to_month, "owner": owner, "stage_id": stage_id})
    return service.run(api.principal(), "opportunity-projection", filters, format)


@api.route("GET", "/reports/opportunities", roles=STAFF, returns=ReportAnswer)
def opportunities(format: Format = "json", from_month: MonthParam = None, to_month: MonthParam = None, owner: Text = None):
    filters = PeriodFilters.model_validate({"from_month": from_month, "to_month": to_month, "owner": owner})
    return service.run(api.principal(), "opportunities", filters, format)


@api.route("GET", "/reports/statement-of-account", roles=STAFF, returns=ReportAnswer)
def statement_of_account(
    contact_id: Annotated[str, Query(max_length=26)],
    format: Format = "json",
    since: Annotated[IsoDate | None, Query()] = None,
    until: Annotated[IsoDate | None, Query()] = None,
    include_children: Annotated[bool, Query()] = False,
):
    filters = StatementFilters.model_validate(
        {"contact_id": contact_id, "since": since, "until": until, "include_children": include_children}
    )
    return service.run(api.principal(), "statement-of-account", filters, format)


@api.route("GET", "/reports/reorder", roles=STAFF, returns=ReportAnswer)
def reorder(format: Format = "json", location: Annotated[str | None, Query(max_length=40)] = None):
    """The stock context's reorder report: every item at or below its reorder point."""
    return service.run(api.principal(), "reorder", ReorderFilters.model_validate({"location": location}), format)


# ---------------------------------------------------------------- subscriptions


@api.route("GET", "/report-subscriptions", roles=STAFF)
def list_subscriptions(
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Annotated[str | None, Query(max_length=4096)] = None
) -> Page[Subscription]:
    return subscriptions.page(api.principal().tenant, limit=limit, cursor=cursor)


@api.route("POST", "/report-subscriptions", roles=STAFF, returns=Subscription, location="/report-subscriptions/{subscription_id}")
def create_subscription(body: SubscriptionFields):
    created = subscriptions.create(api.principal(), body)
    return respond(created, 201, created.version)


@api.route("GET", "/report-subscriptions/{subscription_id}", roles=STAFF, returns=Subscription)
def get_subscription(subscription_id: str):
    found = subscriptions.get(api.principal().tenant, subscription_id)
    return respond(found, version=found.version)


@api.route("DELETE", "/report-subscriptions/{subscription_id}", roles=STAFF, if_match="required")
def delete_subscription(subscription_id: str):
    subscriptions.delete(api.principal().tenant, subscription_id, api.version())
    return respond(None, 204)


# One-click unsubscribe (RFC 8058): mail clients POST to the List-Unsubscribe link; the link in the
# email's body is the same URL, opened (GET): a page whose button POSTs, since a GET must change
# nothing (mail scanners follow links). Anyone holding the signed token may use it.
TOKEN = Annotated[str, Query(min_length=10, max_length=2048)]
PER_CLIENT = PerClientLimit(requests=30, seconds=60)


@api.route("GET", unsubscribe.PATH, roles=PUBLIC, returns=str, media_types=(HTML,), per_client=PER_CLIENT)
def open_unsubscribe_link(token: TOKEN):
    """The page the email's link opens: what stops, and a button that stops it."""
    return page(unsubscribe.confirmation(token))


@api.route("POST", unsubscribe.PATH, roles=PUBLIC, returns=Unsubscribed, media_types=(JSON, HTML), per_client=PER_CLIENT)
def unsubscribe_one_click(token: TOKEN):
    """Unsubscribe: JSON for a mail client's one-click POST, a page for the confirmation page's form."""
    if api.wants_html():
        return page(unsubscribe.unsubscribe_page(token))
    return unsubscribe.unsubscribe(token)


handler = api.handler()
