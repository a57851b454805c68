"""The reports there are: each a name, a title, its filters (a pydantic model: bad input is a 422
naming the field) and a function that builds its table (and chart) for a reader.

Adding a report is one `Report` in REPORTS (as the stock context's reorder report below), its name
in crm.reports.models.ReportName, and its GET route; rendering in every format and subscriptions
come with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from crm.platform import clock
from crm.platform.exports import Column, Kind
from crm.platform.i18n import Reader, tr
from crm.platform.types import STRICT, Email, Id, IsoDate
from crm.sales import rules, summaries
from crm.sales.models import Month


@dataclass(frozen=True)
class Chart:
    """A monthly chart of some of the table's columns (crm.platform.charts)."""

    months: list[str]
    bars: list[tuple[str, list[int]]]  # (legend, values) on the money axis
    lines: list[tuple[str, list[int]]] = field(default_factory=list)  # (legend, values) on the count axis


@dataclass(frozen=True)
class Table:
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[dict]
    empty: bool  # nothing to report: a subscription that skips empty reports sends nothing
    chart: Chart | None = None


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    filters: type[BaseModel]
    build: Callable[[str, BaseModel, Reader], Table]


# ---------------------------------------------------------------- opportunity reports


def _today(reader: Reader) -> date:
    return clock.now().astimezone(ZoneInfo(reader.time_zone)).date()


def _this_month(reader: Reader) -> str:
    return _today(reader).strftime("%Y-%m")


def _shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _within_reach(to_month: str | None, info: ValidationInfo) -> str | None:
    """A period ends after it starts and covers at most five years."""
    first = info.data.get("from_month")
    if to_month and first:
        if to_month < first:
            raise ValueError(tr("must not be before {field}", field="from_month"))
        if rules.span_months(first, to_month) > summaries.MAX_MONTHS:
            raise ValueError(tr("a report covers at most {months} months", months=summaries.MAX_MONTHS))
    return to_month


class ProjectionFilters(BaseModel):
    model_config = STRICT
    from_month: Month | None = Field(default=None, description="First close month (YYYY-MM); default: this month")
    to_month: Month | None = Field(default=None, description="Last close month; default: 11 months after from_month")
    owner: Email | None = None
    stage_id: Id | None = None

    _period = field_validator("to_month")(_within_reach)

    @model_validator(mode="after")
    def _one_scope(self) -> ProjectionFilters:
        if self.owner and self.stage_id:
            raise ValueError(tr("filter by owner or by stage, not both"))
        return self


class PeriodFilters(BaseModel):
    model_config = STRICT
    from_month: Month | None = Field(default=None, description="First month (YYYY-MM); default: 11 months before to_month")
    to_month: Month | None = Field(default=None, description="Last month; default: this month")
    owner: Email | None = None

    _period = field_validator("to_month")(_within_reach)


def _period(filters: BaseModel, reader: Reader, ahead: bool) -> tuple[str, str]:
    """The months a report covers: forward from this month (a projection) or back to it (what happened)."""
    first, last = getattr(filters, "from_month", None), getattr(filters, "to_month", None)
    if ahead:
        first = first or (_shift(last, -11) if last else _this_month(reader))
        return first, last or _shift(first, 11)
    last = last or (_shift(first, 11) if first else _this_month(reader))
    return first or _shift(last, -11), last


def _between(reader: Reader, first: str, last: str) -> str:
    return reader.text(tr("From {first} to {last}", first=reader.month(first), last=reader.month(last)))


def projection(tenant: str, filters: BaseModel, reader: Reader) -> Table:
    assert isinstance(filters, ProjectionFilters)
    first, last = _period(filters, reader, ahead=True)
    scope = ("OWNER", filters.owner) if filters.owner else ("STAGE", filters.stage_id) if filters.stage_id else ("ALL",)
    rows = summaries.projection(tenant, first, last, scope)
    money = reader.currency
    columns = [
        Column("month", reader.text(tr("Close month"))),
        Column("count", reader.text(tr("Open opportunities")), Kind.INTEGER),
        Column("value", reader.text(tr("Expected value")), Kind.MONEY, currency=money),
        Column("weighted_value", reader.text(tr("Weighted value")), Kind.MONEY, currency=money),
    ]
    chart = Chart(
        months=[r["month"] for r in rows],
        bars=[(columns[2].label, [r["value"] for r in rows]), (columns[3].label, [r["weighted_value"] for r in rows])],
        lines=[(columns[1].label, [r["count"] for r in rows])],
    )
    title = reader.text(tr("Opportunity projection by close month"))
    return Table(title, _between(reader, first, last), columns, rows, not any(r["count"] for r in rows), chart)


def opportunities(tenant: str, filters: BaseModel, reader: Reader) -> Table:
    assert isinstance(filters, PeriodFilters)
    first, last = _period(filters, reader, ahead=False)
    rows = summaries.flows(tenant, first, last, filters.owner)
    money = reader.currency
    columns = [Column("month", reader.text(tr("Month")))]
    for what, label in (("opened", tr("Opened")), ("won", tr("Won")), ("lost", tr("Lost"))):
        columns += [
            Column(f"{what}_count", reader.text(label), Kind.INTEGER),
            Column(f"{what}_value", reader.text(tr("{what}: value", what=label)), Kind.MONEY, currency=money),
        ]
    chart = Chart(
        months=[r["month"] for r in rows],
        bars=[(columns[i].label, [r[columns[i].key] for r in rows]) for i in (2, 4, 6)],
        lines=[(columns[i].label, [r[columns[i].key] for r in rows]) for i in (1, 3, 5)],
    )
    title = reader.text(tr("Opportunities opened, won and lost"))
    empty = not any(r["opened_count"] or r["won_count"] or r["lost_count"] for r in rows)
    return Table(title, _between(reader, first, last), columns, rows, empty, chart)


# ---------------------------------------------------------------- the statement of account (finance)


class StatementFilters(BaseModel):
    model_config = STRICT
    contact_id: Id
    since: IsoDate | None = Field(default=None, description="First day; default: the first of the month of until")
    until: IsoDate | None = Field(default=None, description="Last day; default: today (a subscription's: the day it runs)")
    include_children: bool = False


def statement(tenant: str, filters: BaseModel, reader: Reader) -> Table:
    """crm.finance.statements' statement as a table: one row per entry, the balances in the subtitle."""
    from crm.finance import statements

    assert isinstance(filters, StatementFilters)
    found = statements.statement(tenant, filters.contact_id, filters.since, filters.until, filters.include_children)
    money = found["currency"]
    columns = [
        Column("date", reader.text(tr("Date")), Kind.DATE),
        Column("kind", reader.text(tr("Type"))),
        Column("number", reader.text(tr("Number"))),
        Column("contact_name", reader.text(tr("Contact"))),
        Column("due_date", reader.text(tr("Due date")), Kind.DATE),
        Column("debit", reader.text(tr("Debit")), Kind.MONEY, currency=money),
        Column("credit", reader.text(tr("Credit")), Kind.MONEY, currency=money),
        Column("balance", reader.text(tr("Balance")), Kind.MONEY, currency=money),
    ]
    kinds = {"invoice": tr("Invoice"), "credit_note": tr("Credit note"), "payment": tr("Payment")}
    rows = [
        {
            **{c.key: e.get(c.key) for c in columns},
            "kind": reader.text(kinds[e["kind"]]),
            "number": e.get("number") or e.get("invoice_number"),
        }
        for e in found["entries"]
    ]
    subtitle = tr(
        "From {first} to {last}: opening balance {opening}, closing balance {closing}",
        first=reader.date(found["since"]),
        last=reader.date(found["until"]),
        opening=reader.money(found["opening_balance"], money),
        closing=reader.money(found["closing_balance"], money),
    )
    title = reader.text(tr("Statement of account {name}", name=found["contact_name"]))
    return Table(title, reader.text(subtitle), columns, rows, not rows and found["closing_balance"] == 0)


# ---------------------------------------------------------------- the stock context's reorder report


class ReorderFilters(BaseModel):
    model_config = STRICT
    location: Annotated[str, StringConstraints(pattern=r"^(company|(contact|vehicle):[0-9A-HJKMNP-TV-Z]{26})$")] | None = Field(
        default=None, description="One location's own lines (contact:<id> or vehicle:<id>), or company for the company-wide ones"
    )


def reorder(tenant: str, filters: BaseModel, reader: Reader) -> Table:
    """Every make/model at or below its reorder point (crm.stock.reorder), no chart."""
    assert isinstance(filters, ReorderFilters)
    from crm.stock import reorder as stock_reorder  # loaded by the reports that use it only

    company = reader.text(tr("company stock"))
    found = stock_reorder.reorder_report(tenant, {"location": filters.location} if filters.location else None)
    rows = [{**r, "location": r["location"] or company} for r in found]
    title = reader.text(tr("Reorder report"))
    subtitle = reader.text(tr("Items at or below their reorder point on {day}", day=reader.date(_today(reader), "long")))
    return Table(title, subtitle, stock_reorder.columns(reader), rows, not rows)


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("opportunity-projection", tr("Opportunity projection by close month"), ProjectionFilters, projection),
        Report("opportunities", tr("Opportunities opened, won and lost"), PeriodFilters, opportunities),
        Report("statement-of-account", tr("Statement of account"), StatementFilters, statement),
        Report("reorder", tr("Reorder report"), ReorderFilters, reorder),
    )
}


def months_of(chart: Chart) -> list[date]:
    return [date.fromisoformat(m + "-01") for m in chart.months]


__all__ = ["REPORTS", "Chart", "Report", "Table"]
