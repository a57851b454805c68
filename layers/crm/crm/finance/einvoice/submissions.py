"""Issued invoices and credit notes on the e-invoicing platform: submission, the lifecycle the
platform reports back (submitted, rejected, refused, approved, paid, each with its time), and the
"paid" status the seller reports for services.

B2B only: an invoice to an individual, or to a business outside France, goes to no platform (it is
e-reported: crm.finance.einvoice.ereporting). What is submitted is the document's stored file,
byte for byte: the issued PDF (Factur-X once the document carries its XML).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from crm.contacts import service as contacts
from crm.contacts.identity import party_country
from crm.finance import lifecycle, pdfs
from crm.finance import repository as finance_repo
from crm.finance import service as documents
from crm.finance.einvoice import repository as repo
from crm.finance.einvoice.port import STATUSES, Submission, platform
from crm.platform import clock, idempotency
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, CrmError, NotFound
from crm.platform.i18n import tr

logger = Logger(child=True)
SUBMITTED_TYPES = frozenset({"invoice", "credit_note"})
FRANCE = "FR"


def get(tenant: str, document_id: str) -> dict:
    documents.get(tenant, document_id)
    found = repo.lifecycle(tenant, document_id)
    if found is None:
        raise NotFound(tr("the document was not submitted to the e-invoicing platform"))
    return found


def goes_to_platform(contact: dict) -> bool:
    """A French business (with its SIREN) receives its invoices through a platform; anyone else's
    (an individual, a business established abroad) are e-reported."""
    return contact.get("kind") == "business" and party_country(contact) == FRANCE and bool(contact.get("siren"))


def buyer_siren(tenant: str, document: dict) -> str:
    """The SIREN the platform routes the document to; a 409 saying why when it goes to none."""
    buyer = contacts.get(tenant, document["contact_id"])
    if buyer.get("kind") != "business":
        raise Conflict(
            tr("the customer is not a business: a B2C invoice goes to no platform, it is e-reported (GET /einvoicing/e-reporting)")
        )
    if not goes_to_platform(buyer):
        raise Conflict(tr("the customer is not a French business with a SIREN: its invoice is e-reported, not sent through a platform"))
    return buyer["siren"]


def submit(principal: Principal, document_id: str) -> dict:
    """Send the issued document's stored file to the buyer's platform, once."""
    tenant = principal.tenant
    document = documents.get(tenant, document_id)
    if document["type"] not in SUBMITTED_TYPES:
        raise Conflict(tr("only invoices and credit notes go to the e-invoicing platform"))
    lifecycle.check_issued(document)
    if repo.lifecycle(tenant, document_id) is not None:
        raise Conflict(tr("the invoice is already submitted to the e-invoicing platform"))
    siren = buyer_siren(tenant, document)
    document = pdfs.stored(tenant, document)
    submission = Submission(document_id, document["number"], siren, pdfs.filename(document), pdfs.content(document))
    platform_id = platform().submit(tenant, submission)  # idempotent on the document: a retry deposits nothing twice
    now = clock.iso(clock.now())
    record = {
        "document_id": document_id,
        "number": document["number"],
        "platform_id": platform_id,
        "status": "submitted",
        "submitted_at": now,
        "version": 1,
    }
    repo.create_lifecycle(tenant, record, idempotency.claim(document_id))
    return record


def merged_statuses(record: dict, events) -> dict:
    """The lifecycle with every status the platform reports that it does not hold yet; a status
    once recorded keeps its first time and reason (polling again changes nothing)."""
    merged = dict(record)
    for event in events:
        if event.status == "submitted" or merged.get(f"{event.status}_at"):
            continue
        merged[f"{event.status}_at"] = event.at
        if event.reason:
            merged[f"{event.status}_reason"] = event.reason
    reached = [s for s in STATUSES if merged.get(f"{s}_at")]
    # the latest; at the same time, the one further along (approved, then paid)
    merged["status"] = max(reached, key=lambda s: (merged[f"{s}_at"], STATUSES.index(s))) if reached else "submitted"
    return merged


def refresh(principal: Principal, document_id: str) -> dict:
    """Poll the platform for the document's statuses (on demand); idempotent. A paid services
    invoice whose report failed earlier is reported now."""
    tenant = principal.tenant
    record = get(tenant, document_id)
    document = documents.get(tenant, document_id)
    reported = report_paid(tenant, document) if not record.get("paid_reported_at") else None
    return reported or _refreshed(tenant, record)


def _refreshed(tenant: str, record: dict) -> dict:
    merged = merged_statuses(record, platform().statuses(tenant, record["platform_id"]))
    if merged == record:
        return record
    merged |= {"version": record["version"] + 1, "updated_at": clock.iso(clock.now())}
    repo.save_lifecycle(tenant, merged, record["version"])
    return merged


def is_services(document: dict) -> bool:
    """An invoice for services (labour, call-outs: any line not taken from stock): its VAT is due
    when paid, so its payment is reported (a platform status for B2B, e-reporting for B2C)."""
    return any(line.get("kind") != "stock" for line in document["lines"])


def report_paid(tenant: str, invoice: dict) -> dict | None:
    """Report a fully paid services invoice "paid" through the platform, once; its lifecycle then
    holds the status. Nothing for goods, or an invoice that was not submitted. A failure is logged
    and left to the next refresh: the payment stands."""
    record = repo.lifecycle(tenant, invoice["id"])
    if record is None or record.get("paid_reported_at") or record["status"] == "rejected":
        return None  # not on the platform (a rejected file never reached the buyer), or reported
    if not is_services(invoice) or invoice.get("payment_status") != "paid":
        return None
    paid_on = max((p["date"] for p in finance_repo.payments(tenant, invoice["id"])), default=clock.now().date().isoformat())
    try:
        platform().report_paid(tenant, record["platform_id"], invoice["paid"], invoice["currency"], paid_on)
        reported = {**record, "paid_reported_at": clock.iso(clock.now())}
        repo.save_lifecycle(tenant, {**reported, "version": record["version"] + 1}, record["version"])
        return _refreshed(tenant, {**reported, "version": record["version"] + 1})
    except (CrmError, ClientError):
        logger.warning("the invoice's payment could not be reported yet", extra={"document_id": invoice["id"]}, exc_info=True)
        return None
