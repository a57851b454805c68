"""Billing a contract's periods: one invoice per period, issued through the finance documents' one
create-and-issue path (so it is numbered, dated for its period, rendered to PDF and archived like
any invoice), and emailed when the tenant asked for automatic sending.

Exactly once per period, whoever bills it and however often: the period's claim item is written in
the same transaction as its invoice's draft, so a second attempt (a redelivered message, a worker
racing another, "bill now" for a period the run reaches later) finds the claim and carries on with
the invoice it names instead of making another. Each step after that is idempotent by itself, so
a crash between any two steps is finished by the next attempt:

  1. claim + draft (one transaction)     -> retried: the claim names the draft
  2. issue (number, PDF)                 -> retried: an issued invoice is not issued again
  3. send (when auto_send)               -> retried: only an invoice not sent yet is sent
  4. the contract's next period moves on  -> retried: only from the period it was at
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from crm.contacts import readers
from crm.finance import contracts_repository as repo
from crm.finance import contracts_rules as rules
from crm.finance import service as documents
from crm.finance.contracts import ACTIVE, get
from crm.finance.contracts_rules import Period
from crm.platform import clock
from crm.platform.auth import OFFICE, Principal
from crm.platform.errors import Conflict, Invalid, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr

logger = Logger(child=True)
RUN_ACTOR = "billing-run"
ADVANCE_ATTEMPTS = 10


def run_principal(tenant: str) -> Principal:
    """Who issues the scheduled run's invoices, as the audit trail and the documents record it."""
    return Principal(tenant=tenant, role=OFFICE, user_id=RUN_ACTOR, email="")


def _lines(tenant: str, contract: dict, period: Period) -> list[dict]:
    reader = readers.account_reader(tenant)
    label = contract.get("description") or contract.get("reference") or reader.text(tr("Contract"))
    span = reader.text(tr("{start} to {end}", start=reader.date(period.start.isoformat()), end=reader.date(period.end.isoformat())))
    common = {"quantity": "1", "tax_rate": contract["tax_rate"], "nominal_code": contract.get("nominal_code")}
    lines = [{"description": f"{label} ({span})"[:200], "unit_price": period.amount, **common}]
    if period.deposit:
        deposit = reader.text(tr("deposit"))
        lines.append({"description": f"{label}: {deposit}"[:200], "unit_price": period.deposit, **common})
    return [{k: v for k, v in line.items() if v is not None} for line in lines]


def _draft(principal: Principal, contract: dict, period: Period) -> str:
    """The period's invoice draft, claimed with it; the draft's id (made now, or by an earlier attempt)."""
    tenant = principal.tenant
    fields = {
        "type": "invoice",
        "contact_id": contract["contact_id"],
        "lines": _lines(tenant, contract, period),
        "issue_date": period.start.isoformat(),
        **({"reference": contract["reference"]} if contract.get("reference") else {}),
    }
    claim = {"period": period.index, "start": period.start.isoformat(), "end": period.end.isoformat(), "billed_by": principal.actor}
    try:
        draft = documents.create_document(
            principal,
            fields,
            origin={"kind": "contract", "id": contract["id"]},
            also=lambda draft: [repo.claim_step(tenant, contract["id"], {**claim, "document_id": draft["id"]})],
        )
    except Conflict:
        held = repo.claimed(tenant, contract["id"], period.index)
        if held is None:
            raise
        return held["document_id"]
    return draft["id"]


def _issued(principal: Principal, document_id: str) -> dict:
    """The period's invoice, issued by this call or by an attempt racing it. A draft that cannot be
    issued (the account's legal identity incomplete, say) raises: the period fails, and the run's
    summary says why, instead of a draft counted as billed."""
    for _ in range(3):
        document = documents.get(principal.tenant, document_id)
        if document["status"] != "draft":
            return document
        try:
            return documents.issue(principal, document_id, document["version"])
        except PreconditionFailed:
            continue  # another attempt changed the draft meanwhile: read it again
        except Conflict:
            if documents.get(principal.tenant, document_id)["status"] == "draft":
                raise
    return documents.get(principal.tenant, document_id)


def _sent(principal: Principal, invoice: dict) -> str | None:
    """Email the invoice once (auto_send); the reason when it cannot be (no recipient)."""
    from crm.finance import sending
    from crm.finance.models import SendRequest

    if invoice["status"] != "issued":
        return None
    try:
        sending.send(principal, invoice["id"], SendRequest())
    except Invalid:
        return "no_recipient"
    return None


def advance(tenant: str, contract_id: str, index: int) -> dict:
    """The contract's next period moves past `index` (and past any period billed ahead by "bill
    now"), its next billing date with it; nothing when it is past already."""
    for _ in range(ADVANCE_ATTEMPTS):
        contract = get(tenant, contract_id)
        position = int(contract.get("next_period", 0))
        if position != index:
            return contract
        count = len(rules.periods(contract))
        position += 1
        while position < count and repo.claimed(tenant, contract_id, position) is not None:
            position += 1
        moved = {**contract, "next_period": position, "version": contract["version"] + 1, "updated_at": clock.iso(clock.now())}
        upcoming = rules.periods(moved)[position] if position < count and moved["status"] == ACTIVE else None
        moved["next_billing_date"] = upcoming.start.isoformat() if upcoming else None
        try:
            repo.save(tenant, {k: v for k, v in moved.items() if v is not None}, contract["version"])
            return moved
        except PreconditionFailed:
            continue
    raise Conflict(tr("the contract is being changed; retry shortly"))


def bill(principal: Principal, contract: dict, period: Period, auto_send: bool) -> tuple[dict, bool, str | None]:
    """Bill one period: (its invoice, whether this call made it, why it was not sent if it was not)."""
    tenant = principal.tenant
    held = repo.claimed(tenant, contract["id"], period.index)
    document_id = held["document_id"] if held else _draft(principal, contract, period)
    invoice = _issued(principal, document_id)
    unsent = _sent(principal, invoice) if auto_send else None
    advance(tenant, contract["id"], period.index)
    return invoice, held is None, unsent


def bill_now(principal: Principal, contract_id: str, index: int) -> dict:
    """The office bills one period now: its invoice (the same one if it is billed already), emailed
    when the billing schedule says so. The scheduled run then neither bills it again nor skips the
    periods before it."""
    from crm.finance import billing_repository

    auto_send = bool((billing_repository.get_schedule(principal.tenant) or {}).get("auto_send"))
    contract = get(principal.tenant, contract_id)
    if contract["status"] != ACTIVE:
        raise Conflict(tr("only an active contract is billed"))
    periods = rules.periods(contract)
    if index >= len(periods):
        raise invalid("period", tr("the contract has {count} periods (0 to {last})", count=len(periods), last=len(periods) - 1))
    invoice, _, _ = bill(principal, contract, periods[index], auto_send)
    return invoice


def contract_or_none(tenant: str, contract_id: str) -> dict | None:
    try:
        return get(tenant, contract_id)
    except NotFound:
        return None
