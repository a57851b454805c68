"""Issuing documents: a draft gets its number (gapless per type), its date, its parties, seller,
terms, language and legal facts, in one transaction with the counter, its ledger entry and the
audit record (`issue`); or, for the billing run, an invoice is made and issued in one operation
(`prepare` then `numbered` and `new_issued_steps`, committed by the caller with its own steps),
through the same checks, pricing and legal facts, so nothing differs from an invoice the office
issues.

What a tenant's documents are issued with (account and finance settings, legal identity, logo,
audit retention) is an `Issuing`, read per request by the office's routes and once per run by the
billing worker (a run bills with the settings as its worker first read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from crm.contacts import legal, readers
from crm.contacts import service as contacts
from crm.contacts.models import Settings
from crm.finance import fields as custom_fields
from crm.finance import ledger, lifecycle, pdfs, settings
from crm.finance import repository as repo
from crm.finance import service as documents
from crm.finance.einvoice import facts
from crm.finance.models import FinanceSettings
from crm.people import service as people
from crm.platform import audit, clock, dynamo
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, CrmError, invalid
from crm.platform.i18n import DEFAULT_LOCALE, Reader, tr

logger = Logger(child=True)


@dataclass(frozen=True)
class Issuing:
    """The tenant-wide facts a document is issued with."""

    account: Settings
    finance: FinanceSettings
    identity: legal.LegalIdentity
    logo: bytes | None
    audit_retention_days: int
    reader: Reader  # the account's, for texts written on a document (a contract's period)


def read(tenant: str) -> Issuing:
    account = contacts.settings(tenant)
    chosen = settings.current(tenant, account.currency)
    return Issuing(
        account=account,
        finance=chosen,
        identity=legal.legal_identity(tenant),
        logo=settings.logo_bytes(chosen.logo),
        audit_retention_days=audit.settings(tenant).retention_days,
        reader=readers.reader(account.model_dump()),
    )


def _today(time_zone: str) -> date:
    return clock.now().astimezone(ZoneInfo(time_zone)).date()


def _address_lines(contact: dict) -> list[str]:
    address = contact.get("address") or {}
    town = " ".join(p for p in (address.get("postcode"), address.get("city")) if p)
    return [p for p in (address.get("line1"), address.get("line2"), town, address.get("region"), address.get("country")) if p]


def _party(contact: dict) -> dict:
    return {"name": contact["name"], "lines": _address_lines(contact)}


def _locale(tenant: str, document: dict, account_locale: str | None) -> str:
    person = people.lookup(tenant, document["person_id"]) if document.get("person_id") else None
    return (person or {}).get("locale") or account_locale or DEFAULT_LOCALE


def _as_issued(principal: Principal, draft: dict, issuing: Issuing, customer: dict, *, complete: bool = False) -> dict:
    """The draft as it reads once issued (no number yet): dated, its parties, seller, terms,
    language and legal facts fixed. `complete` (issue): refused (409) while a legal mention it
    must carry is not set."""
    tenant, chosen = principal.tenant, issuing.finance
    at = clock.iso(clock.now())
    issue_date = draft.get("issue_date") or _today(issuing.account.time_zone).isoformat()
    fixed = {
        **draft,
        "status": "issued",
        "version": draft["version"] + 1,
        "issue_date": issue_date,
        "issued_at": at,
        "updated_at": at,
        "issued_by": principal.actor,
        "locale": _locale(tenant, draft, issuing.account.locale),
        "customer": _party(customer),
        "seller": {"name": chosen.company.name, "lines": chosen.company.address} if chosen.company else None,
        "terms": chosen.terms,
        "logo_sha256": settings.digest(issuing.logo),
    }
    if draft.get("delivery_site_id"):
        fixed["delivery"] = _party(contacts.get(tenant, draft["delivery_site_id"]))
    fixed |= facts.fixed(tenant, fixed, complete=complete, identity=issuing.identity, customer=customer)
    if fixed["type"] in facts.LEGAL_TYPES:
        fixed["e_invoice"] = "factur-x" if facts.business_to_business(fixed) else "pdf"
    if draft["type"] == "invoice":
        due = draft.get("due_date") or (date.fromisoformat(issue_date) + timedelta(days=chosen.payment_terms_days)).isoformat()
        fixed |= {"due_date": due, "paid": 0, "credited": 0, "payment_status": "unpaid", "due": draft["gross"]}
    documents.dates_checked(fixed)
    return fixed


def preview(principal: Principal, document_id: str) -> tuple[dict, bytes | None]:
    """A draft as it would be issued (unnumbered), and the logo, for its PDF preview."""
    draft = documents.get(principal.tenant, document_id)
    lifecycle.check_draft(draft, tr("previewed"))
    issuing = read(principal.tenant)
    fixed = _as_issued(principal, draft, issuing, contacts.get(principal.tenant, draft["contact_id"]))
    return {**fixed, "status": "draft"}, issuing.logo


def numbered(principal: Principal, fixed: dict, issuing: Issuing, n: int, credited: dict | None = None) -> tuple[dict, list[dynamo.Step]]:
    """The document numbered `n`, and what its issue writes besides it: the audit record and its
    ledger entries (a credit note's invoice as `credited`, saved by the caller)."""
    prefix = getattr(issuing.finance.prefixes, fixed["type"])
    document = {k: v for k, v in {**fixed, "number": f"{prefix}{n:06d}", "sequence": n}.items() if v is not None}
    record = audit.entry(
        principal,
        "document.issued",
        "document",
        document["id"],
        retention_days=issuing.audit_retention_days,
        type=document["type"],
        number=document["number"],
    )
    return document, [(record, None), *ledger.issued(principal.tenant, document, credited)]


def issue(principal: Principal, document_id: str, expected_version: int) -> dict:
    """Give the draft its number (gapless per type), date it, fix its parties and locale. A credit
    note's amount is counted on its invoice in the same transaction (never more than invoiced), and
    an invoice or credit note enters its contact's ledger there too."""
    tenant = principal.tenant
    draft = documents.get(tenant, document_id)
    if draft["version"] != expected_version:
        raise repo.stale()
    if draft["status"] != "draft":
        raise Conflict(tr("{number} is already issued", number=draft["number"]))
    issuing = read(tenant)
    custom_fields.checked(tenant, draft["type"], draft.get("custom_fields", {}), complete=True, chosen=issuing.finance)
    fixed = _as_issued(principal, draft, issuing, contacts.get(tenant, draft["contact_id"]), complete=True)
    credited = _credited(tenant, fixed) if draft["type"] == "credit_note" else None
    also = [repo.save_step(tenant, credited, credited["version"] - 1)] if credited else []

    def build(n: int) -> tuple[dict, list[dynamo.Step]]:
        document, steps = numbered(principal, fixed, issuing, n, credited)
        return document, [repo.save_step(tenant, document, expected_version), *steps]

    issued = repo.issue(tenant, draft["type"], build, also)
    try:
        return pdfs.stored(tenant, issued, issuing.logo)
    except (CrmError, ClientError):
        # Issued all the same: the PDF is made from what the document holds, on download or send.
        logger.warning("the PDF of an issued document could not be stored yet", extra={"document_id": document_id}, exc_info=True)
        return issued


def _credited(tenant: str, note: dict) -> dict:
    """The credit note's invoice as the note leaves it (saved in the issue's transaction)."""
    invoice = documents.get(tenant, note["credited_invoice_id"])
    credited = invoice.get("credited", 0) + note["gross"]
    if credited > invoice["gross"]:
        raise invalid("lines", tr("more than what is left to credit on the invoice"))
    note["credited_invoice_number"], note["credited_invoice_date"] = invoice["number"], invoice["issue_date"]
    return documents.settle(invoice, paid=invoice.get("paid", 0), credited=credited)


# ---------------------------------------------------------------- made and issued at once


def prepare(principal: Principal, fields: dict, origin: dict, issuing: Issuing, customer: dict) -> dict:
    """The document `fields` make (as POST /documents takes them), as it reads once issued, not
    numbered: parsed, its parties checked, priced, its custom fields complete, its legal facts
    fixed, exactly as create then issue would make it. `customer`: its contact, read by the caller."""
    draft = documents.drafted(principal, documents.parsed(fields), origin, issuing.finance, customer)
    custom_fields.checked(principal.tenant, draft["type"], draft.get("custom_fields", {}), complete=True, chosen=issuing.finance)
    draft = {k: v for k, v in draft.items() if v is not None}
    return _as_issued(principal, {**draft, "version": 0}, issuing, customer, complete=True)


def new_issued_steps(tenant: str, document: dict) -> list[dynamo.Step]:
    """The writes of a document made issued (`numbered`'s steps aside): the document itself (new),
    its contact's count of documents, the person-data index."""
    return [repo.create_step(tenant, document), *documents.filed(tenant, document, +1), *documents.indexed(tenant, document, +1)]
