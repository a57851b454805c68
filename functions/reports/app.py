"""Reports API: each report with its filters, as JSON or as a CSV, XLSX, PDF or SVG file.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.platform.auth import STAFF
from crm.platform.http import Api
from crm.reports import service
from crm.reports.catalogue import PeriodFilters, ProjectionFilters
from crm.reports.models import ReportAnswer

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


handler = api.handler()
