"""Shapes of e-invoicing at the HTTP edge: an invoice's platform lifecycle, received invoices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.contacts.models import Reference, Upload
from crm.platform.types import STRICT, Id, Text

# What a supplier's e-invoice may be: a Factur-X PDF, or its bare XML (CII or UBL).
ReceivedType = Literal["application/pdf", "application/xml", "text/xml"]
MAX_RECEIVED_BYTES = 10 * 1024 * 1024
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class PlatformLifecycle(BaseModel):
    document_id: str
    number: str
    platform_id: str
    status: str = Field(description="submitted, rejected, refused, approved or paid: the latest the platform gave")
    submitted_at: str
    rejected_at: str | None = None
    rejected_reason: str | None = Field(default=None, description="The platform's reason for rejecting the file")
    refused_at: str | None = None
    refused_reason: str | None = Field(default=None, description="The buyer's reason for refusing the invoice")
    approved_at: str | None = None
    paid_at: str | None = None
    paid_reported_at: str | None = Field(default=None, description="When this account reported the invoice paid (services)")
    version: int


class ReceivedUploadRequest(BaseModel):
    model_config = STRICT
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")]
    content_type: ReceivedType
    size: Annotated[int, Field(gt=0, le=MAX_RECEIVED_BYTES)] = Field(description=f"Bytes, at most {MAX_RECEIVED_BYTES}")


class ReceivedUploadTicket(BaseModel):
    upload_id: str = Field(description="Give it to POST /received-invoices once the file is uploaded")
    upload: Upload


class ReceivedFromUpload(BaseModel):
    model_config = STRICT
    upload_id: Id


class SupplierMatch(BaseModel):
    name: str
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    country: str | None = None
    address: list[str] = []
    postcode: str | None = None
    city: str | None = None
    contact_id: str | None = Field(default=None, description="The contact matched by SIREN or VAT number; none: a proposal to create")


class BillLine(BaseModel):
    description: str
    quantity: str
    unit_price: str = Field(description="Net price per unit as the supplier wrote it (a decimal string)")
    net: int
    tax_category: str | None = None
    tax_rate: str | None = None


class BillTax(BaseModel):
    category: str
    rate: str | None = None
    taxable: int
    tax: int


class Bill(BaseModel):
    id: str
    version: int
    status: Literal["received", "accepted", "refused"]
    number: str
    type: Literal["invoice", "credit_note"]
    issue_date: str
    due_date: str | None = None
    currency: str
    supplier: SupplierMatch
    purchase_order_number: str | None = None
    purchase_order_id: str | None = Field(default=None, description="The purchase order of this account it names, when found")
    lines: list[BillLine]
    taxes: list[BillTax]
    net: int
    tax: int
    gross: int
    due: int = Field(description="What the supplier asks to be paid (after prepaid amounts)")
    format: Literal["factur-x", "cii", "ubl"]
    original: str = Field(description="The file as received, kept unchanged")
    received_at: str
    answered_at: str | None = None
    refusal_reason: str | None = None


class SupplierFromBill(BaseModel):
    """The contact to create from a bill's proposed supplier: the file's name, identifiers and
    address, in the group named; a field sent here replaces the file's (null: leave it out)."""

    model_config = STRICT
    group_id: Id = Field(description="The group the supplier joins (the account's suppliers)")
    reference: Reference | None = None
    name: Text | None = Field(default=None, description="The file's seller name when not sent")
    # Checked once, as a contact's are, with the file's other fields: every bad one is named.
    siren: Identifier | None = None
    siret: Identifier | None = None
    vat_number: Identifier | None = None


class BillDecision(BaseModel):
    model_config = STRICT
    decision: Literal["accept", "refuse"]
    reason: Text | None = Field(default=None, description="Required to refuse: it goes to the supplier through the platform")


class RefusedDelivery(BaseModel):
    received_id: str
    filename: str
    reason: str = Field(description="Why it could not be read; the supplier was told through the platform")


class Deliveries(BaseModel):
    received: list[Bill] = Field(description="The delivered invoices read into bills")
    refused: list[RefusedDelivery]
