"""E-invoicing API: issued invoices and credit notes sent through the e-invoicing platform port and
their lifecycle, the monthly e-reporting file, and received supplier e-invoices (upload, read into
a bill, accept or refuse).

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.finance.einvoice import ereporting, received, submissions, suppliers
from crm.finance.einvoice.models import (
    Bill,
    BillDecision,
    Deliveries,
    PlatformLifecycle,
    ReceivedFromUpload,
    ReceivedUploadRequest,
    ReceivedUploadTicket,
    SupplierFromBill,
)
from crm.finance.models import DownloadLink
from crm.platform import settings
from crm.platform.auth import STAFF
from crm.platform.files import FileLink
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import Limit

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.DOCUMENTS_BUCKET,
    settings.ATTACHMENTS_BUCKET,
    settings.EINVOICING_PLATFORM,
)
api = Api("einvoicing", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=2048)]
Month = Annotated[str, Query(pattern=r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM")]
NOT_SENT = "the document goes to no platform (a draft, not an invoice or credit note, a B2C or foreign customer), or is already submitted"


def _lifecycle(record: dict):
    return respond(PlatformLifecycle.model_validate(record), version=record["version"])


def _bill(record: dict, status: int = 200):
    return respond(Bill.model_validate(record), status, record["version"])


# ---------------------------------------------------------------- the platform


@api.route("POST", "/documents/{document_id}/platform", roles=STAFF, returns=PlatformLifecycle, conflicts=(NOT_SENT,))
def submit_document(document_id: str):
    """Send an issued B2B invoice or credit note (its stored file) to the customer's platform."""
    return _lifecycle(submissions.submit(api.principal(), document_id))


@api.route("GET", "/documents/{document_id}/platform", roles=STAFF, returns=PlatformLifecycle)
def get_platform_lifecycle(document_id: str):
    """The document's lifecycle on the platform, as last read."""
    return _lifecycle(submissions.get(api.principal().tenant, document_id))


@api.route("POST", "/documents/{document_id}/platform/refresh", roles=STAFF, returns=PlatformLifecycle)
def refresh_platform_lifecycle(document_id: str):
    """Read the document's statuses from the platform now."""
    return _lifecycle(submissions.refresh(api.principal(), document_id))


@api.route("GET", "/einvoicing/e-reporting", roles=STAFF, returns=FileLink)
def e_reporting(month: Month):
    """The month's e-reporting file: sales that go to no platform, and payments received for services."""
    return respond(ereporting.export(api.principal(), month))


# ---------------------------------------------------------------- received invoices


@api.route("POST", "/received-invoices/uploads", roles=STAFF, returns=ReceivedUploadTicket, status=201)
def request_received_upload(body: ReceivedUploadRequest):
    """Where to upload a supplier's e-invoice (Factur-X PDF, CII or UBL XML): a presigned POST."""
    return respond(received.request_upload(api.principal().tenant, body), 201)


@api.route(
    "POST",
    "/received-invoices",
    roles=STAFF,
    returns=Bill,
    location="/received-invoices/{bill_id}",
    conflicts=("the same supplier invoice, or the same file, was already received",),
)
def receive_invoice(body: ReceivedFromUpload):
    """Read an uploaded e-invoice into a bill (a refused file is not kept)."""
    return _bill(received.receive(api.principal(), body.upload_id), 201)


@api.route("POST", "/received-invoices/deliveries", roles=STAFF, returns=Deliveries)
def take_deliveries():
    """Read the invoices the platform delivered into bills (one that does not read is refused back)."""
    return respond(Deliveries.model_validate(received.take_deliveries(api.principal())))


@api.route("GET", "/received-invoices", roles=STAFF)
def list_received_invoices(limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Bill]:
    items, next_cursor = received.find(api.principal().tenant, limit=limit, cursor=cursor)
    return Page(items=[Bill.model_validate(b) for b in items], next_cursor=next_cursor)


@api.route("GET", "/received-invoices/{bill_id}", roles=STAFF, returns=Bill)
def get_received_invoice(bill_id: str):
    return _bill(received.get(api.principal().tenant, bill_id))


@api.route("GET", "/received-invoices/{bill_id}/original", roles=STAFF, returns=DownloadLink)
def download_received_original(bill_id: str):
    """The file as the supplier sent it."""
    return respond(DownloadLink.model_validate(received.original_link(api.principal(), bill_id)))


@api.route(
    "POST",
    "/received-invoices/{bill_id}/supplier",
    roles=STAFF,
    returns=Bill,
    status=201,
    conflicts=("the received invoice already has its supplier among the contacts", "the contact's reference is taken"),
)
def create_bill_supplier(bill_id: str, body: SupplierFromBill):
    """Create the contact the bill proposes as its supplier (the file's name, identifiers and
    address, in the group named) and link the bill to it, in one transaction. The answer is the
    bill; its Location is the new contact."""
    bill = suppliers.create_from_bill(api.principal(), bill_id, body)
    return respond(Bill.model_validate(bill), 201, bill["version"], headers={"Location": f"/contacts/{bill['supplier']['contact_id']}"})


@api.route(
    "POST",
    "/received-invoices/{bill_id}/decision",
    roles=STAFF,
    returns=Bill,
    if_match="required",
    etag_of="/received-invoices/{bill_id}",
    conflicts=("the received invoice is already answered",),
)
def decide_received_invoice(bill_id: str, body: BillDecision):
    """Accept the bill, or refuse it with a reason; the supplier hears it through the platform."""
    bill = received.decide(api.principal(), bill_id, body.decision == "accept", body.reason, api.version())
    return _bill(bill)


handler = api.handler()
