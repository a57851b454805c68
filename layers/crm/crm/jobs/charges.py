"""A job's money: its chargeable lines (editable until it is completed), the labour and mileage
it records at completion, what it costs and charges, a contact's totals per job and per month (the
financial tab), and what finance needs to invoice a job exactly once.

Entry points for other contexts (signatures stay stable): `job_money`, `chargeable`,
`check_invoiceable`, `mark_invoiced`, `unmark_invoiced` (and `crm.jobs.service.create_job`, which takes lines).
"""

from __future__ import annotations

from datetime import date, datetime

from crm.contacts import readers
from crm.contacts import service as contacts
from crm.jobs import catalog_repository as catalog_repo
from crm.jobs import money, transitions
from crm.jobs import money_repository as money_repo
from crm.jobs import repository as repo
from crm.jobs.models import Labour, Mileage
from crm.jobs.money_models import ChargeLine
from crm.platform import clock, dynamo
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, PreconditionFailed, invalid, invalid_fields
from crm.platform.i18n import tr

MAX_MONTHS = 120  # a financial tab's period: ten years of month totals and their jobs


def _job(tenant: str, job_id: str) -> dict:
    job = repo.get_job(tenant, job_id)
    if job is None:
        raise NotFound(tr("no such job"))
    return job


def _lines(job: dict) -> list[dict]:
    return money.priced_lines(job.get("charges", []))


def _view(job: dict, currency: str) -> dict:
    lines = _lines(job)
    return {
        "job_id": job["id"],
        "version": job["version"],
        "currency": job.get("currency", currency),
        "lines": lines,
        "total": sum(line["net"] for line in lines),
        "invoice_id": job.get("invoice_id"),
    }


# ---------------------------------------------------------------- chargeable lines


def lines(principal: Principal, job_id: str) -> dict:
    """The job's chargeable lines with their nets and total; `version` is the job's (If-Match)."""
    return _view(_job(principal.tenant, job_id), contacts.settings(principal.tenant).currency)


def dumped(lines: list[ChargeLine]) -> list[dict]:
    return [line.model_dump(mode="json", exclude_none=True) for line in lines]


def replace_lines(principal: Principal, job_id: str, new_lines: list[ChargeLine], expected_version: int) -> dict:
    """Replace the job's lines while it is not completed (nor cancelled): they are final then."""
    tenant = principal.tenant
    job = _job(tenant, job_id)
    if job["version"] != expected_version:
        raise PreconditionFailed(tr("the job changed since you read it; reload it and apply your change again"))
    if transitions.is_terminal(job["status"]):
        raise Conflict(tr("the lines of a {status} job are final", status=job["status"]))
    at = clock.iso(clock.now())
    saved = dumped(new_lines)
    open_statuses = frozenset(transitions.STATUSES) - transitions.TERMINAL
    money_repo.put_lines(tenant, job_id, saved, expected_version, at, open_statuses)
    return _view({**job, "charges": saved, "version": expected_version + 1, "updated_at": at}, contacts.settings(tenant).currency)


# ---------------------------------------------------------------- completion


def _from_log(tenant: str, job: dict, at: datetime) -> list[dict]:
    """The job log's time in progress, for the job's resource (the tablet's start, pause, stop)."""
    minutes = money.worked_minutes(repo.log(tenant, job["id"]), at) if job.get("resource_id") else 0
    resource = catalog_repo.get_member(tenant, "resource", job["resource_id"]) if minutes else None
    if resource is None:
        return []
    rate = resource.get("cost_rate") or 0
    return [
        {"resource_id": resource["id"], "minutes": minutes, "cost_rate": rate, "cost": money.labour_cost(minutes, rate), "from_log": True}
    ]


def _priced_entries(tenant: str, field: str, entries: list[dict]) -> tuple[list[dict], list[FieldError]]:
    """Entered labour (field "labour") or mileage ("mileage") entries, each priced at its resource's
    or vehicle's current rate; an unknown or repeated resource or vehicle is a bad field."""
    kind, key, rate_name = ("resource", "resource_id", "cost_rate") if field == "labour" else ("vehicle", "vehicle_id", "mileage_rate")
    errors: list[FieldError] = []
    out: list[dict] = []
    for n, entry in enumerate(entries):
        member = catalog_repo.get_member(tenant, kind, entry[key])
        if member is None:
            unknown = tr("is not a resource of this account") if kind == "resource" else tr("is not a vehicle of this account")
            errors.append(FieldError(f"{field}.{n}.{key}", unknown))
        elif any(e[key] == entry[key] for e in out):
            twice = (
                tr("is listed twice; give each resource's minutes once")
                if kind == "resource"
                else tr("is listed twice; give each vehicle's km once")
            )
            errors.append(FieldError(f"{field}.{n}.{key}", twice))
        else:
            rate = member.get(rate_name) or 0
            cost = money.labour_cost(entry["minutes"], rate) if kind == "resource" else money.mileage_cost(entry["km"], rate)
            out.append({**entry, rate_name: rate, "cost": cost} | ({"from_log": False} if kind == "resource" else {}))
    return out, errors


def refuse_outside_completion(status: str, labour: list[Labour] | None, mileage: list[Mileage] | None) -> None:
    if status in transitions.COMPLETED:
        return
    errors = [
        FieldError(name, tr("is recorded only when the job is completed")) for name, v in (("labour", labour), ("mileage", mileage)) if v
    ]
    if errors:
        raise invalid_fields(errors)


def completion(
    tenant: str, job: dict, labour: list[Labour] | None, mileage: list[Mileage] | None, at: datetime
) -> tuple[dict, list[dynamo.Step]]:
    """What a completing job records (labour, mileage, its money at today's rates, the currency)
    and the summary writes for the completion's own transaction."""
    labour_errors: list[FieldError] = []
    if labour is None:
        recorded_labour = _from_log(tenant, job, at)
    else:
        recorded_labour, labour_errors = _priced_entries(tenant, "labour", [e.model_dump() for e in labour])
    recorded_mileage, mileage_errors = _priced_entries(tenant, "mileage", [e.model_dump() for e in mileage or []])
    if labour_errors or mileage_errors:
        raise invalid_fields(labour_errors + mileage_errors)
    settings = contacts.settings(tenant)
    amounts = {
        "charges": sum(line["net"] for line in _lines(job)),
        "labour_cost": sum(e["cost"] for e in recorded_labour),
        "mileage_cost": sum(e["cost"] for e in recorded_mileage),
    }
    recorded = {"labour": recorded_labour, "mileage": recorded_mileage, "money": amounts, "currency": settings.currency}
    entry = {
        "job_id": job["id"],
        "reference": job["reference"],
        "contact_id": job["contact_id"],
        "completed_at": clock.iso(at),
        "month": money.month_of(at, settings.time_zone),
        **amounts,
    }
    site = contacts.lookup(tenant, job["contact_id"]) or {}
    return recorded, money_repo.completion_steps(tenant, entry, site.get("parent_id"))


# ---------------------------------------------------------------- reading the money


def costs(principal: Principal, job_id: str) -> dict:
    """What the job costs and charges: once completed, as recorded then; before, its current lines'
    charges and no costs yet. `summary` says it in the reader's language and money format."""
    tenant = principal.tenant
    job = _job(tenant, job_id)
    who = principal.email or principal.user_id
    reader = readers.readers_at(tenant, [who])[who]
    recorded = job.get("money")
    if recorded:
        totals = money.totals(recorded["charges"], recorded["labour_cost"], recorded["mileage_cost"])
    else:
        totals = money.totals(sum(line["net"] for line in _lines(job)), 0, 0)
    currency = job.get("currency") or reader.currency
    summary = tr(
        "Charges {charges}, costs {costs} (labour {labour}, mileage {mileage}), margin {margin}",
        **{
            k: reader.money(totals[v], currency)
            for k, v in (
                ("charges", "charges"),
                ("costs", "costs"),
                ("labour", "labour_cost"),
                ("mileage", "mileage_cost"),
                ("margin", "margin"),
            )
        },
    )
    return {
        "job_id": job["id"],
        "reference": job["reference"],
        "status": job["status"],
        "currency": currency,
        "completed": bool(recorded),
        "labour": job.get("labour", []),
        "mileage": job.get("mileage", []),
        "invoice_id": job.get("invoice_id"),
        **totals,
        "summary": reader.text(summary),
    }


def _months(since: date, until: date) -> tuple[str, str]:
    if until < since:
        raise invalid("until", tr("must not be before since"))
    if (until.year - since.year) * 12 + until.month - since.month >= MAX_MONTHS:
        raise invalid("until", tr("the period is at most {months} months", months=MAX_MONTHS))
    return since.strftime("%Y-%m"), until.strftime("%Y-%m")


def job_money(tenant: str, contact_id: str, since: date, until: date, include_children: bool) -> dict:
    """A contact's completed jobs and their money per job and per calendar month (the account's
    time zone), from the month of `since` to the month of `until` (whole months), with its child
    sites' jobs when `include_children`. One Query (no Scan), whatever the number of sites.

    Returns {contact_id, include_children, since, until (YYYY-MM), currency, months: [{month, jobs,
    charges, labour_cost, mileage_cost, costs, margin}], jobs: [{job_id, reference, contact_id,
    completed_at, month, charges, labour_cost, mileage_cost, costs, margin}], totals: {...}}.
    Raises NotFound for an unknown contact, Invalid for a reversed or too long period."""
    first, last = _months(since, until)
    contacts.get(tenant, contact_id)
    months, jobs = money_repo.period(tenant, contact_id, include_children, first, last)
    month_rows = [{"month": m["month"], "jobs": m["jobs"], **_totals(m)} for m in months]
    return {
        "contact_id": contact_id,
        "include_children": include_children,
        "since": first,
        "until": last,
        "currency": contacts.settings(tenant).currency,
        "months": month_rows,
        "jobs": [{**j, **_totals(j)} for j in jobs],
        "totals": {
            "jobs": sum(m["jobs"] for m in month_rows),
            **money.totals(*(sum(m[k] for m in month_rows) for k in money_repo.AMOUNTS)),
        },
    }


def _totals(amounts: dict) -> dict:
    return money.totals(*(amounts[k] for k in money_repo.AMOUNTS))


# ---------------------------------------------------------------- invoicing a job (for finance)


def chargeable(tenant: str, job_id: str) -> dict:
    """What "invoice this job" needs: the job's priced lines (with their tax rate, nominal code,
    stock item), its site (`contact_id`) and the site's parent (`parent_id`, the account billed
    when the site is one of its sites), and whether it is completed and already invoiced.
    Raises NotFound for a job of no such id in the tenant."""
    job = _job(tenant, job_id)
    site = contacts.lookup(tenant, job["contact_id"]) or {}
    return {
        **_view(job, contacts.settings(tenant).currency),
        "reference": job["reference"],
        "status": job["status"],
        "completed": job["status"] in transitions.COMPLETED,
        "completed_at": job.get("completed_at"),
        "contact_id": job["contact_id"],
        "parent_id": site.get("parent_id"),
    }


def check_invoiceable(job: dict) -> None:
    """Raise Conflict (409) unless the job (as read, or as `chargeable` gives it) is completed and
    not invoiced yet (naming the invoice that has it)."""
    if job.get("invoice_id"):
        error = FieldError("job_id", tr("already invoiced by {invoice_id}", invoice_id=job["invoice_id"]))
        raise Conflict(tr("the job is already invoiced by {invoice_id}", invoice_id=job["invoice_id"]), [error])
    if job["status"] not in transitions.COMPLETED:
        raise Conflict(tr("only a completed job can be invoiced; this one is {status}", status=job["status"]))


def mark_invoiced(tenant: str, job_id: str, invoice_id: str) -> list[dynamo.Step]:
    """The step that marks a completed job invoiced by `invoice_id`, for the invoice's issue
    transaction: a job is invoiced once. Raises NotFound (no such job), Conflict (409) when it is not
    completed, or already invoiced (naming the invoice); the step's own condition fails the
    transaction with a Conflict when another invoice took the job meanwhile."""
    check_invoiceable(_job(tenant, job_id))
    return [money_repo.invoiced_step(tenant, job_id, invoice_id, clock.iso(clock.now()), transitions.COMPLETED)]


def unmark_invoiced(tenant: str, job_id: str, invoice_id: str) -> list[dynamo.Step]:
    """The step that frees a job when its draft invoice `invoice_id` is deleted, for the deletion's
    transaction: the job can be invoiced again."""
    return [money_repo.uninvoiced_step(tenant, job_id, invoice_id)]
