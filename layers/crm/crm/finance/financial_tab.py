"""The contact's financial tab (the seed's "Onglet Financier"): per month and per job, the revenue
(what was invoiced, net of tax, less what credit notes took back), the job costs (labour, mileage,
parts) and the margin between; the totals; and a summary of the contact's documents (its balance,
what is unpaid and what of it is overdue). Optionally with its child sites.

Job money comes from the jobs context (`job_money`: one Query over the period's months), the parts'
cost from the stock context (`parts.costs`: one BatchGetItem per 100 jobs); revenue and the
documents summary from finance's per-contact ledger (entries from the period's first day, open
invoices, the balance item). No Scan; the cost grows with the period.
"""

from __future__ import annotations

from datetime import date

from crm.contacts import service as contacts
from crm.finance import ledger_repository as ledger
from crm.finance import lists, statements
from crm.jobs import charges as job_charges
from crm.jobs import money as job_money_rules
from crm.platform.auth import Principal
from crm.platform.errors import invalid
from crm.platform.i18n import tr
from crm.stock import parts as stock_parts

MAX_MONTHS = 60


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _period(tenant: str, since: date | None, until: date | None) -> tuple[date, date]:
    """Whole months: by default the twelve months to this one."""
    until = until or statements.today(tenant)
    since = (since or _months_before(until, 11)).replace(day=1)
    if until < since:
        raise invalid("until", tr("must not be before since"))
    if (until.year - since.year) * 12 + until.month - since.month >= MAX_MONTHS:
        raise invalid("since", tr("the period is at most {months} months", months=MAX_MONTHS))
    return since, until


def revenue(entries: list[dict]) -> tuple[dict[str, int], dict[str, int]]:
    """Net revenue per month (YYYY-MM) and per job: invoices up, credit notes down."""
    by_month: dict[str, int] = {}
    by_job: dict[str, int] = {}
    for entry in entries:
        if entry["kind"] == "payment":
            continue
        amount = entry["net"] if entry["kind"] == "invoice" else -entry["net"]
        by_month[entry["date"][:7]] = by_month.get(entry["date"][:7], 0) + amount
        if entry.get("job_id"):
            by_job[entry["job_id"]] = by_job.get(entry["job_id"], 0) + amount
    return by_month, by_job


def _with_revenue(row: dict, earned: int, parts_cost: int) -> dict:
    """A month's or a job's row with its revenue and parts cost: costs are labour, mileage and parts."""
    costs = row["labour_cost"] + row["mileage_cost"] + parts_cost
    return {**row, "parts_cost": parts_cost, "costs": costs, "revenue": earned, "margin": earned - costs}


def tab(principal: Principal, contact_id: str, since: date | None, until: date | None, include_children: bool) -> dict:
    tenant = principal.tenant
    contacts.get(tenant, contact_id)
    first, last = _period(tenant, since, until)
    jobs = job_charges.job_money(tenant, contact_id, first, last, include_children)
    entries: list[dict] = []
    open_invoices: list[dict] = []
    balance = 0
    for member in lists.family(tenant, contact_id, "children" if include_children else None):
        entries += ledger.entries_from(tenant, member, first.isoformat())
        open_invoices += ledger.open_invoices(tenant, member)
        balance += ledger.balance(tenant, member)
    by_month, by_job = revenue(entries)
    parts = stock_parts.costs(tenant, [j["job_id"] for j in jobs["jobs"]], jobs["currency"])
    parts_by_month: dict[str, int] = {}
    for j in jobs["jobs"]:
        parts_by_month[j["month"]] = parts_by_month.get(j["month"], 0) + parts[j["job_id"]]
    empty = {"jobs": 0, **job_money_rules.totals(0, 0, 0)}
    known = {m["month"]: m for m in jobs["months"]}
    months = sorted({*known, *(m for m in by_month if jobs["since"] <= m <= jobs["until"])})
    month_rows = [_with_revenue({**empty, **known.get(m, {}), "month": m}, by_month.get(m, 0), parts_by_month.get(m, 0)) for m in months]
    job_rows = [_with_revenue(j, by_job.get(j["job_id"], 0), parts[j["job_id"]]) for j in jobs["jobs"]]
    summed = ("jobs", "charges", "labour_cost", "mileage_cost", "parts_cost", "costs", "revenue")
    totals = {k: sum(m[k] for m in month_rows) for k in summed}
    today = statements.today(tenant).isoformat()
    overdue = [i for i in open_invoices if i.get("due_date") and i["due_date"] < today]
    return {
        "contact_id": contact_id,
        "include_children": include_children,
        "since": jobs["since"],
        "until": jobs["until"],
        "currency": jobs["currency"],
        "months": month_rows,
        "jobs": job_rows,
        "totals": {**totals, "margin": totals["revenue"] - totals["costs"]},
        "documents": {
            "balance": balance,
            "unpaid": sum(i["due"] for i in open_invoices),
            "unpaid_invoices": len(open_invoices),
            "overdue": sum(i["due"] for i in overdue),
            "overdue_invoices": len(overdue),
        },
    }
