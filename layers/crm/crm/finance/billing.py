"""Billing a contract's periods: one invoice per period, made and issued in ONE transaction through
the documents' issuing path (crm.finance.issuing: the same checks, pricing and legal facts as an
invoice the office issues), dated for its period, its PDF stored, and emailed when the tenant asked
for automatic sending.

The transaction of a period holds: the invoice (issued, with its PDF's record), its number's
counter (on condition of the value read), its ledger entries, the contact's count of documents,
the audit record, the period's claim (attribute_not_exists), the contract moved on (on condition of
its version; a period billed ahead by "bill now" is kept on the contract, so the run sees it
without reading claims), and in a billing run, with the last period of the contract, the run's
outcome for it and its count of outcomes. Exactly once per period, whoever bills it and however
often: a second attempt (a redelivered message, a worker racing another, "bill now" for a period
the run reaches later) fails on the claim or the contract's version, reads the contract again and
finds the period billed. Step by step:

  1. render the PDF for number n and put it (`_rendered`)  -> a crash leaves a file no document names
  2. commit the transaction (`_commit`)                    -> a lost number: render for the next, commit
  3. file the PDF's copy in the contact's folder (`_filed_copy`)
  4. send it (auto_send) (`_sent`)                           -> steps 3 and 4 are redone by a redelivery
     (the claims of the run's periods name its invoices), each idempotent by itself
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from crm.contacts import service as contacts
from crm.finance import billing_repository, issuing, pdfs
from crm.finance import contracts_repository as repo
from crm.finance import contracts_rules as rules
from crm.finance import repository as documents_repo
from crm.finance import service as documents
from crm.finance.contracts import ACTIVE, get
from crm.finance.contracts_rules import Period
from crm.platform import dynamo
from crm.platform.auth import OFFICE, Principal
from crm.platform.errors import Conflict, Invalid, NotFound, Unavailable, invalid
from crm.platform.i18n import Reader, tr

logger = Logger(child=True)
RUN_ACTOR = "billing-run"
ATTEMPTS = 25


class Raced(Exception):
    """Another attempt changed the contract (or recorded the run's outcome) first: read it again."""


def run_principal(tenant: str) -> Principal:
    """Who issues the scheduled run's invoices, as the audit trail and the documents record it."""
    return Principal(tenant=tenant, role=OFFICE, user_id=RUN_ACTOR, email="")


class Numbers:
    """The invoice counter as this worker last saw it: read with its batch, moved by its own
    commits, read again when a commit finds that another worker took the number."""

    def __init__(self, tenant: str, last: int | None = None) -> None:
        self.tenant, self.last = tenant, last

    def next(self) -> int:
        if self.last is None:
            self.last = documents_repo.counter_value(self.tenant, "invoice")
        return self.last + 1

    def took(self, n: int) -> None:
        self.last = n

    def lost(self) -> None:
        self.last = None


@dataclass(frozen=True)
class RunRecord:
    """The run a period is billed in, and its outcome for the contract to record with the last
    invoice (None: recorded apart, after the sending)."""

    run_id: str
    outcome: dict | None


def _lines(reader: Reader, contract: dict, period: Period) -> list[dict]:
    label = contract.get("description") or contract.get("reference") or reader.text(tr("Contract"))
    span = reader.text(tr("{start} to {end}", start=reader.date(period.start.isoformat()), end=reader.date(period.end.isoformat())))
    common = {"quantity": "1", "tax_rate": contract["tax_rate"], "nominal_code": contract.get("nominal_code")}
    lines = [{"description": f"{label} ({span})"[:200], "unit_price": period.amount, **common}]
    if period.deposit:
        deposit = reader.text(tr("deposit"))
        lines.append({"description": f"{label}: {deposit}"[:200], "unit_price": period.deposit, **common})
    return [{k: v for k, v in line.items() if v is not None} for line in lines]


def _fields(reader: Reader, contract: dict, period: Period) -> dict:
    fields = {"type": "invoice", "contact_id": contract["contact_id"], "lines": _lines(reader, contract, period)}
    fields["issue_date"] = period.start.isoformat()
    return fields | ({"reference": contract["reference"]} if contract.get("reference") else {})


def _rendered(tenant: str, document: dict, logo: bytes | None) -> dict:
    return pdfs.put_issuing(tenant, document, logo)


def _commit(steps: list[dynamo.Step]) -> None:
    dynamo.transact([operation for operation, _ in steps])


def _filed_copy(tenant: str, invoice: dict) -> None:
    pdfs.file_in_folder(tenant, invoice)


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


def issue_period(
    principal: Principal,
    context: issuing.Issuing,
    contract: dict,
    customer: dict,
    period: Period,
    numbers: Numbers,
    run: RunRecord | None = None,
) -> tuple[dict, dict]:
    """Make and issue the period's invoice in one transaction: (the invoice, the contract as it
    moved on). Raises Raced when the contract (or the run's outcome) changed meanwhile; an invoice
    that cannot be issued (legal mentions missing) raises before anything is written."""
    tenant = principal.tenant
    origin = {"kind": "contract", "id": contract["id"]}
    fixed = issuing.prepare(principal, _fields(context.reader, contract, period), origin, context, customer)
    moved = rules.billed(contract, period.index, contract["status"] == ACTIVE)
    moved = {k: v for k, v in {**moved, "version": contract["version"] + 1, "updated_at": fixed["issued_at"]}.items() if v is not None}
    claim = {"period": period.index, "start": period.start.isoformat(), "end": period.end.isoformat(), "billed_by": principal.actor}
    claim |= {"document_id": fixed["id"], **({"run_id": run.run_id} if run else {})}
    document: dict | None = None
    for attempt in range(ATTEMPTS):
        n = numbers.next()
        if document is None or document["sequence"] != n:  # rendered for the number it will carry
            document, issue_steps = issuing.numbered(principal, fixed, context, n)
            document = _rendered(tenant, document, context.logo)
        steps = [*issuing.new_issued_steps(tenant, document), *issue_steps, repo.claim_step(tenant, contract["id"], claim)]
        steps.append(repo.save_step(tenant, moved, contract["version"]))
        if run and run.outcome is not None:
            recorded = {**run.outcome, "numbers": [*run.outcome["numbers"], document["number"]]}
            steps += billing_repository.outcome_steps(tenant, run.run_id, contract["id"], recorded, Raced())
        steps.append(documents_repo.counter_step(tenant, "invoice", n - 1))
        try:
            _commit(steps)
        except ClientError as e:
            if documents_repo.lost_the_number(e):
                numbers.lost()
            elif dynamo.error_code(e) == "TransactionCanceledException" and "ConditionalCheckFailed" in dynamo.cancellation_codes(e):
                raise Raced() from None
            elif not dynamo.is_transient(e):
                raise
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter before trying again
            continue
        numbers.took(n)
        return document, moved
    raise Unavailable(tr("too many documents are being issued at once; nothing was saved, retry shortly"), headers={"Retry-After": "1"})


def billed_in_run(tenant: str, contract_id: str, run_id: str) -> list[dict]:
    """The invoices an earlier delivery of the run billed for the contract (a redelivery finishes
    what it left: the folder copy, the email)."""
    claims = [c for c in repo.claims(tenant, contract_id) if c.get("run_id") == run_id]
    return [d for d in (documents.lookup(tenant, c["document_id"]) for c in claims) if d]


def finish(principal: Principal, invoices: list[dict], auto_send: bool) -> list[str]:
    """After the commit: each invoice's copy in the contact's folder, then its email (auto_send).
    Returns the numbers not emailed (nobody receives financial documents)."""
    unsent = []
    for invoice in invoices:
        _filed_copy(principal.tenant, invoice)
        if auto_send and _sent(principal, invoice):
            unsent.append(invoice["number"])
    return unsent


def bill_now(principal: Principal, contract_id: str, index: int) -> dict:
    """The office bills one period now: its invoice (the same one if it is billed already), emailed
    when the billing schedule says so. The scheduled run then neither bills it again nor skips the
    periods before it. Reads everything fresh (the office's settings as they are now)."""
    tenant = principal.tenant
    auto_send = bool((billing_repository.get_schedule(tenant) or {}).get("auto_send"))
    contract = get(tenant, contract_id)
    if contract["status"] != ACTIVE:
        raise Conflict(tr("only an active contract is billed"))
    periods = rules.periods(contract)
    if index >= len(periods):
        raise invalid("period", tr("the contract has {count} periods (0 to {last})", count=len(periods), last=len(periods) - 1))
    context, numbers = issuing.read(tenant), Numbers(tenant)
    for _ in range(ATTEMPTS):
        if rules.is_billed(contract, index):
            held = repo.claimed(tenant, contract_id, index)
            invoice = documents.get(tenant, held["document_id"]) if held else None
            if invoice is None:
                raise Conflict(tr("the period is billed already"))
            finish(principal, [invoice] if auto_send else [], auto_send)
            return documents.get(tenant, invoice["id"])
        try:
            invoice, _ = issue_period(principal, context, contract, contacts.get(tenant, contract["contact_id"]), periods[index], numbers)
        except Raced:
            contract = get(tenant, contract_id)
            continue
        finish(principal, [invoice], auto_send)
        return documents.get(tenant, invoice["id"]) if auto_send else invoice
    raise Conflict(tr("the contract is being changed; retry shortly"))


def contract_or_none(tenant: str, contract_id: str) -> dict | None:
    try:
        return get(tenant, contract_id)
    except NotFound:
        return None
