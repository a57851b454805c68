"""What the reports read of sales, from the summary cells (crm.sales.rules.cells): the projection of
open opportunities by close month (raw and weighted by probability) and the opportunities opened,
won and lost by month. Each reads the cells of the months asked, one Query, whatever the number of
opportunities."""

from __future__ import annotations

from collections.abc import Sequence

from crm.platform.errors import FieldError, invalid_fields
from crm.platform.i18n import tr
from crm.sales import repository as repo
from crm.sales import rules, setup

MAX_MONTHS = 60  # five years


def check_period(first: str, last: str, first_field: str = "from_month", last_field: str = "to_month") -> None:
    if last < first:
        raise invalid_fields([FieldError(last_field, tr("must not be before {field}", field=first_field))])
    if rules.span_months(first, last) > MAX_MONTHS:
        raise invalid_fields([FieldError(last_field, tr("a report covers at most {months} months", months=MAX_MONTHS))])


def projection(tenant: str, first: str, last: str, scope: Sequence[str] = ("ALL",)) -> list[dict]:
    """Per month from `first` to `last`: open opportunities closing then, their count, value and
    value weighted by their probability (crm.sales.rules.weight)."""
    check_period(first, last)
    weights = {p_id: rules.weight(p) for p_id, p in setup.entries(tenant, "probabilities").items()}
    rows: dict[str, dict] = {m: {"month": m, "count": 0, "value": 0, "weighted_value": 0} for m in rules.months(first, last)}
    for cell in repo.summary(tenant, ("PROJ", *scope), f"{first}#", f"{last}#~"):
        month, probability_id = cell["key"].split("#", 1)
        row = rows[month]
        row["count"] += cell["n"]
        row["value"] += cell["v"]
        row["weighted_value"] += rules.weighted(cell["v"], weights.get(probability_id, rules.UNLABELLED_WEIGHT))
    return list(rows.values())


def flows(tenant: str, first: str, last: str, owner: str | None = None) -> list[dict]:
    """Per month from `first` to `last`: opportunities opened, won and lost (count and value)."""
    check_period(first, last)
    scope = ("OWNER", owner) if owner else ("ALL",)
    rows = {
        m: {"month": m} | {f"{k}_{x}": 0 for k in ("opened", "won", "lost") for x in ("count", "value")} for m in rules.months(first, last)
    }
    for cell in repo.summary(tenant, ("FLOW", *scope), f"{first}#", f"{last}#~"):
        month, what = cell["key"].split("#", 1)
        rows[month][f"{what}_count"] += cell["n"]
        rows[month][f"{what}_value"] += cell["v"]
    return list(rows.values())
