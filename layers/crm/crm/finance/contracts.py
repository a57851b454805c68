"""Contracts: create, read, list, edit (the terms while a draft), delete a draft, move through
draft -> active -> ended, or cancelled; their billing periods, invoices and planned jobs.

An active contract with a period left to bill carries its next billing date in the sparse index
the billing run reads (crm.finance.billing); ending or cancelling it takes it off that index, so
it is billed no more.
"""

from __future__ import annotations

from datetime import date

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.finance import contracts_repository as repo
from crm.finance import contracts_rules as rules
from crm.finance import service as documents
from crm.finance import settings
from crm.finance.contracts_models import ContractFields, ContractPatch, ContractTerms
from crm.platform import clock, idempotency, ids
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, invalid_fields
from crm.platform.i18n import tr

TERMS = frozenset(ContractTerms.model_fields)
MOVES = {("draft", "active"), ("active", "ended"), ("draft", "cancelled"), ("active", "cancelled")}
ACTIVE = "active"


def get(tenant: str, contract_id: str) -> dict:
    found = repo.get(tenant, contract_id)
    if found is None:
        raise NotFound(tr("no such contract"))
    return found


def view(tenant: str, contract: dict, with_invoices: bool = True) -> dict:
    """The contract with its periods (and, for one contract, the invoice of each billed one)."""
    billed = {c["period"]: c["document_id"] for c in repo.claims(tenant, contract["id"])} if with_invoices else {}
    periods = [
        {"index": p.index, "start": p.start.isoformat(), "end": p.end.isoformat(), "amount": p.amount, "deposit": p.deposit}
        | {"invoice_id": billed.get(p.index)}
        for p in rules.periods(contract)
    ]
    return {**contract, "periods": periods}


def _fresh(contract: dict, expected_version: int) -> None:
    if contract["version"] != expected_version:
        raise repo.stale()


# ---------------------------------------------------------------- checks


def _term_problems(tenant: str, contract: dict) -> list[FieldError]:
    problems = []
    start, end = date.fromisoformat(contract["start_date"]), date.fromisoformat(contract["end_date"])
    if end < start:
        problems.append(FieldError("end_date", tr("must not be before start_date")))
    elif contract.get("extended_until") and contract["extended_until"] < contract["end_date"]:
        problems.append(FieldError("extended_until", tr("must not be before end_date")))
    elif len(rules.starts(start, date.fromisoformat(contract.get("extended_until") or contract["end_date"]), contract["frequency"])) > (
        rules.MAX_PERIODS
    ):
        problems.append(FieldError("end_date", tr("the contract has more than {n} periods", n=rules.MAX_PERIODS)))
    if (contract.get("instalment") is None) == (contract.get("total_value") is None):
        problems.append(FieldError("instalment", tr("give either instalment or total_value")))
    chosen = settings.current(tenant)
    if contract["tax_rate"] not in {t.code for t in chosen.tax_rates}:
        problems.append(FieldError("tax_rate", tr("is not one of the tax rates")))
    if contract.get("nominal_code") is not None and contract["nominal_code"] not in {n.code for n in chosen.nominal_codes}:
        problems.append(FieldError("nominal_code", tr("is not one of the nominal codes")))
    return problems


def _attachment_problems(tenant: str, contract: dict) -> list[FieldError]:
    if not contract.get("attachment_ids"):
        return []
    from crm.contacts import attachments

    held = {a.id for a in attachments.list_attachments(tenant, contract["contact_id"])}
    return [
        FieldError(f"attachment_ids.{i}", tr("is not an attachment of the contact"))
        for i, a in enumerate(contract["attachment_ids"])
        if a not in held
    ]


def _job_problems(principal: Principal, contract: dict) -> list[FieldError]:
    from crm.jobs import service as jobs

    problems = []
    for i, job_id in enumerate(contract.get("job_ids") or []):
        try:
            job = jobs.get(principal, job_id)
        except NotFound:
            problems.append(FieldError(f"job_ids.{i}", tr("is not a job of this account")))
            continue
        site = contacts.lookup(principal.tenant, job["contact_id"]) or {}
        if contract["contact_id"] not in (job["contact_id"], site.get("parent_id")):
            problems.append(FieldError(f"job_ids.{i}", tr("is not a job of the contact or of its sites")))
    return problems


def _cover_problems(tenant: str, contract: dict) -> list[FieldError]:
    from crm.stock import catalogue, views

    problems = []
    for i, covered in enumerate(contract.get("covered") or []):
        try:
            catalogue.get_item(tenant, covered["item_id"])
        except NotFound:
            problems.append(FieldError(f"covered.{i}.item_id", tr("is not an item of the stock catalogue")))
            continue
        try:
            if covered.get("serial"):
                views.unit(tenant, covered["item_id"], covered["serial"])
        except NotFound:
            problems.append(FieldError(f"covered.{i}.serial", tr("is not a unit of that item")))
    return problems


def _checked(principal: Principal, contract: dict, changed: set[str] | None = None) -> None:
    """Every bad field at once (422); the links are checked when given or changed."""
    tenant = principal.tenant
    problems = _term_problems(tenant, contract)
    if changed is None or "attachment_ids" in changed:
        problems += _attachment_problems(tenant, contract)
    if changed is None or "job_ids" in changed:
        problems += _job_problems(principal, contract)
    if changed is None or "covered" in changed:
        problems += _cover_problems(tenant, contract)
    if problems:
        raise invalid_fields(problems)


# ---------------------------------------------------------------- writes


def create(principal: Principal, fields: ContractFields) -> dict:
    tenant = principal.tenant
    if contacts.lookup(tenant, fields.contact_id) is None:
        raise invalid_fields([FieldError("contact_id", tr("is not a contact of this account"))])
    now = clock.iso(clock.now())
    contract = {
        **fields.model_dump(mode="json"),
        "id": ids.new_id(),
        "version": 1,
        "status": "draft",
        "currency": contacts.settings(tenant).currency,
        "next_period": 0,
        "created_at": now,
        "updated_at": now,
        "created_by": principal.actor,
    }
    _checked(principal, contract)
    contract = {k: v for k, v in contract.items() if v is not None}
    steps = dependents.filed(tenant, contract["contact_id"], "contracts", +1)
    repo.create(tenant, contract, steps, idempotency.claim(contract["id"]))
    return contract


def update(principal: Principal, contract_id: str, patch: ContractPatch, expected_version: int) -> dict:
    tenant = principal.tenant
    old = get(tenant, contract_id)
    _fresh(old, expected_version)
    changes = patch.model_dump(exclude_unset=True, mode="json")
    if old["status"] != "draft" and TERMS & set(changes):
        raise Conflict(
            tr("the terms of a contract change only while it is a draft: {fields}", fields=", ".join(sorted(TERMS & set(changes))))
        )
    if old["status"] in ("ended", "cancelled"):
        raise Conflict(tr("an ended or cancelled contract is not changed"))
    if changes.get("instalment") is not None:
        changes["total_value"] = None
    elif changes.get("total_value") is not None:
        changes["instalment"] = None
    new = {**old, **changes, "version": old["version"] + 1, "updated_at": clock.iso(clock.now())}
    _checked(principal, new, set(changes))
    new = {k: v for k, v in new.items() if v is not None}
    repo.save(tenant, new, expected_version)
    return new


def delete(principal: Principal, contract_id: str, expected_version: int) -> None:
    tenant = principal.tenant
    old = get(tenant, contract_id)
    _fresh(old, expected_version)
    if old["status"] != "draft":
        raise Conflict(tr("only a draft contract is deleted; end or cancel it"))
    repo.delete(tenant, old, expected_version, dependents.filed(tenant, old["contact_id"], "contracts", -1))


def _scheduled(contract: dict) -> dict:
    """The contract with its next billing date: set while active with a period left, else none."""
    upcoming = rules.next_unbilled(contract) if contract["status"] == ACTIVE else None
    return {**contract, "next_billing_date": upcoming.start.isoformat() if upcoming else None}


def mark(principal: Principal, contract_id: str, to: str, expected_version: int) -> dict:
    tenant = principal.tenant
    old = get(tenant, contract_id)
    _fresh(old, expected_version)
    if (old["status"], to) not in MOVES:
        raise Conflict(tr("a contract {status} cannot become {to}", status=old["status"], to=to))
    at = clock.iso(clock.now())
    new = _scheduled({**old, "status": to, f"{to}_at": at, "version": old["version"] + 1, "updated_at": at})
    new = {k: v for k, v in new.items() if v is not None}
    repo.save(tenant, new, expected_version)
    return new


# ---------------------------------------------------------------- reads


def find(
    principal: Principal, *, contact_id: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    query = {"contracts": True, "contact_id": contact_id, "status": status}
    items, next_cursor = repo.page(principal.tenant, query, contact_id=contact_id, status=status, limit=limit, cursor=cursor)
    return [view(principal.tenant, c, with_invoices=False) for c in items], next_cursor


def invoices(tenant: str, contract_id: str) -> list[dict]:
    """The contract's invoices, one per billed period, with their status and payment status."""
    get(tenant, contract_id)
    out = []
    for claim in repo.claims(tenant, contract_id):
        document = documents.get(tenant, claim["document_id"])
        out.append(
            {
                "period": claim["period"],
                "period_start": claim["start"],
                "period_end": claim["end"],
                "document_id": document["id"],
                "number": document.get("number"),
                "status": document["status"],
                "payment_status": document.get("payment_status"),
                "gross": document["gross"],
                "currency": document["currency"],
            }
        )
    return out


def planned_jobs(principal: Principal, contract_id: str) -> list[dict]:
    """The contract's jobs the caller may see (a job deleted since is left out)."""
    from crm.jobs import service as jobs

    contract = get(principal.tenant, contract_id)
    found = []
    for job_id in contract.get("job_ids") or []:
        try:
            found.append(jobs.get(principal, job_id))
        except NotFound:
            continue
    return found
