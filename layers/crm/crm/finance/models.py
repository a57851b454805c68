"""Pydantic shapes of the finance context at the HTTP edge (inputs strict, outputs explicit).

Money is integer minor units of the document's ISO 4217 currency; rates (tax, discount) are
percentages as decimal strings ("20", "5.5"); quantities are decimal strings with up to 3 places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from crm.customfields.models import CHOICE_TYPES, FieldType, OptionLabel
from crm.finance.money import MAX_AMOUNT
from crm.platform.i18n import tr
from crm.platform.types import STRICT, Email, Id, IsoDate, LongText, Text, merge_patch_of

DocumentType = Literal["quote", "invoice", "credit_note", "purchase_order"]
DocumentStatus = Literal["draft", "issued", "sent", "accepted", "rejected"]
# The nature of what an invoice bills (a mention the e-invoicing reform adds): goods, services, or both.
Operation = Literal["goods", "services", "mixed"]
# EN 16931 VAT category codes (UNTDID 5305 subset): standard, zero, exempt, reverse charge,
# intra-community, export outside the EU, outside the scope of VAT.
TaxCategory = Literal["S", "Z", "E", "AE", "K", "G", "O"]
Code = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]


def _percent(value: str) -> str:
    if not Decimal(0) <= Decimal(value) <= Decimal(100):
        raise ValueError(tr("must be a percentage from 0 to 100"))
    return format(Decimal(value).normalize(), "f")  # "20.00" -> "20", as printed and compared


Percent = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,4})?$"), AfterValidator(_percent)]
Quantity = Annotated[str, StringConstraints(pattern=r"^\d{1,9}(\.\d{1,3})?$")]


# ---------------------------------------------------------------- settings


class TaxRate(BaseModel):
    """A VAT rate as EN 16931 names it: its category and, where the category needs one, the
    exemption reason printed on the document (BT-120) and its VATEX code (BT-121)."""

    model_config = STRICT
    code: Code
    name: Text
    rate: Percent
    category: TaxCategory = "S"
    exemption_reason: Text | None = None
    exemption_code: Annotated[str, StringConstraints(pattern=r"^VATEX-[A-Z0-9-]{1,20}$")] | None = None

    @model_validator(mode="after")
    def _category_rules(self) -> TaxRate:
        if self.category == "S" and Decimal(self.rate) == 0:
            raise ValueError(tr("a standard-rated (S) tax rate is above 0; use category Z for a zero rate"))
        if self.category != "S" and Decimal(self.rate) != 0:
            raise ValueError(tr("only category S has a rate above 0"))
        if self.category in ("E", "AE", "K", "G", "O") and not self.exemption_reason:
            raise ValueError(tr("category {category} needs its exemption_reason", category=self.category))
        return self


class NominalCode(BaseModel):
    model_config = STRICT
    code: Code
    name: Text


class PredefinedLine(BaseModel):
    model_config = STRICT
    code: Code
    description: Text
    unit_price: Amount
    tax_rate: Code
    nominal_code: Code | None = None


class Company(BaseModel):
    """The letterhead of the documents. The legal identity (SIREN, VAT number, capital...) is the
    e-invoicing work's: its lines go in the PDF's footer."""

    model_config = STRICT
    name: Text
    address: Annotated[list[Text], Field(max_length=6)] = []
    email: Email | None = None
    phone: Text | None = None
    website: Text | None = None


class Prefixes(BaseModel):
    model_config = STRICT
    quote: Annotated[str, StringConstraints(max_length=10, pattern=r"^[A-Za-z0-9\-_/]*$")] = "QUO-"
    invoice: Annotated[str, StringConstraints(max_length=10, pattern=r"^[A-Za-z0-9\-_/]*$")] = "INV-"
    credit_note: Annotated[str, StringConstraints(max_length=10, pattern=r"^[A-Za-z0-9\-_/]*$")] = "CRN-"
    purchase_order: Annotated[str, StringConstraints(max_length=10, pattern=r"^[A-Za-z0-9\-_/]*$")] = "PO-"


class DocumentFieldOption(BaseModel):
    model_config = STRICT
    id: Code
    label: OptionLabel


class DocumentField(BaseModel):
    """A custom field of a kind of document (the seed's "Champs personnalisés des documents
    financiers"), checked by the custom-field rules; `key` is what a document's answers name."""

    model_config = STRICT
    key: Code
    label: Text
    type: FieldType
    required: bool = False
    options: Annotated[list[DocumentFieldOption], Field(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _options_match_type(self) -> DocumentField:
        if (self.type in CHOICE_TYPES) != (self.options is not None):
            raise ValueError(tr("choice fields, and only they, have options"))
        return self


# Open to more kinds than the four documents (sales: "opportunity").
FieldKind = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,30}$")]
CustomValues = Annotated[dict[Code, Any], Field(max_length=50)]


# A logo, base64 (PNG or JPEG), small enough for the settings item and a request body.
Logo = Annotated[str, StringConstraints(max_length=120_000, pattern=r"^[A-Za-z0-9+/=\s]*$")]


class FinanceSettingsFields(BaseModel):
    model_config = STRICT
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    prefixes: Prefixes = Prefixes()
    tax_rates: Annotated[list[TaxRate], Field(max_length=50)] = []
    nominal_codes: Annotated[list[NominalCode], Field(max_length=500)] = []
    lines: Annotated[list[PredefinedLine], Field(max_length=500)] = []
    company: Company | None = None
    logo: Logo | None = None
    terms: LongText | None = None  # printed at the foot of every document
    document_fields: Annotated[dict[FieldKind, Annotated[list[DocumentField], Field(max_length=50)]], Field(max_length=20)] = {}


FinanceSettingsPatch = merge_patch_of(FinanceSettingsFields, "FinanceSettingsPatch")


class FinanceSettings(FinanceSettingsFields):
    model_config = {"extra": "ignore"}
    version: int = 0
    currency: str = Field(description="The account's currency (GET/PATCH /settings): every new document's")


# ---------------------------------------------------------------- documents


class LineFields(BaseModel):
    """A free line (description, price, tax rate given), a predefined line (`code`: the rest from
    the settings unless given), or a stock item (`item_id`: from the catalogue unless given)."""

    model_config = STRICT
    kind: Literal["free", "predefined", "stock"] = "free"
    code: Code | None = None
    item_id: Id | None = None
    description: Text | None = None
    quantity: Quantity = "1"
    unit_price: Amount | None = None
    discount: Percent = "0"
    tax_rate: Code | None = None
    nominal_code: Code | None = None


class Line(BaseModel):
    kind: str
    code: str | None = None
    item_id: str | None = None
    description: str
    quantity: str
    unit_price: int
    discount: str
    tax_rate: str
    tax_category: str
    tax_percent: str
    exemption_reason: str | None = None
    exemption_code: str | None = None
    nominal_code: str | None = None
    net: int


class TaxTotal(BaseModel):
    category: str
    rate: str
    taxable: int
    tax: int
    exemption_reason: str | None = None


class Origin(BaseModel):
    model_config = STRICT
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,20}$")]
    id: Id


class DocumentFields(BaseModel):
    model_config = STRICT
    type: DocumentType
    contact_id: Id
    delivery_site_id: Id | None = Field(default=None, description="A child site of the contact (any contact for a purchase order)")
    person_id: Id | None = Field(default=None, description="The person at the contact it is for; their language is the document's")
    lines: Annotated[list[LineFields], Field(min_length=1, max_length=200)]
    reference: Text | None = Field(default=None, description="The customer's own reference (order number)")
    notes: LongText | None = None
    issue_date: IsoDate | None = Field(default=None, description="Defaults to the day it is issued")
    due_date: IsoDate | None = Field(default=None, description="Invoices: defaults to the issue date plus the payment terms")
    delivery_date: IsoDate | None = Field(
        default=None, description="The day the goods were delivered or the service done; defaults to the issue date"
    )
    operation: Operation | None = Field(
        default=None, description="What is billed: goods, services or mixed; defaults to goods for stock lines only, mixed with both"
    )
    custom_fields: CustomValues = Field(default={}, description="Answers to the document type's custom fields, by key")


class DocumentPatch(BaseModel):
    """A merge patch of a draft: fields sent replace (lines as a whole), null clears."""

    model_config = STRICT
    delivery_site_id: Id | None = None
    person_id: Id | None = None
    lines: Annotated[list[LineFields], Field(min_length=1, max_length=200)] | None = None
    reference: Text | None = None
    notes: LongText | None = None
    issue_date: IsoDate | None = None
    due_date: IsoDate | None = None
    delivery_date: IsoDate | None = None
    operation: Operation | None = None
    custom_fields: CustomValues | None = None


class Party(BaseModel):
    name: str
    lines: list[str] = []


class PdfFile(BaseModel):
    key: str
    sha256: str
    size: int


class Document(BaseModel):
    id: str
    version: int
    type: str
    status: str
    number: str | None = None
    contact_id: str
    delivery_site_id: str | None = None
    person_id: str | None = None
    origin: Origin | None = None
    credited_invoice_id: str | None = None
    credited_invoice_number: str | None = None
    currency: str
    locale: str | None = None
    reference: str | None = None
    notes: str | None = None
    issue_date: str | None = None
    due_date: str | None = None
    delivery_date: str | None = Field(default=None, description="Fixed at issue: the day of the delivery or service")
    operation: str | None = Field(default=None, description="Fixed at issue: goods, services or mixed")
    e_invoice: str | None = Field(
        default=None,
        description="Fixed at issue: factur-x (a business customer's invoice or credit note: its PDF holds the CII XML) or pdf",
    )
    custom_fields: dict[str, Any] = {}
    lines: list[Line]
    taxes: list[TaxTotal]
    net: int
    tax: int
    gross: int
    paid: int = 0
    credited: int = 0
    due: int | None = Field(default=None, description="Invoices: what is still to be paid")
    payment_status: str | None = None
    seller: Party | None = Field(default=None, description="Fixed at issue: the company as printed")
    customer: Party | None = Field(default=None, description="Fixed at issue: the billing party (a purchase order's supplier) as printed")
    delivery: Party | None = None
    pdf: PdfFile | None = None
    created_at: str
    updated_at: str
    issued_at: str | None = None
    sent_at: str | None = None
    accepted_at: str | None = None
    rejected_at: str | None = None


class DocumentMark(BaseModel):
    model_config = STRICT
    status: Literal["sent", "accepted", "rejected"]


class Duplicate(BaseModel):
    model_config = STRICT
    document_id: Id = Field(description="The document to copy into a new draft")


class CreditNoteRequest(BaseModel):
    model_config = STRICT
    invoice_id: Id = Field(description="The issued invoice the credit note reverses")
    lines: Annotated[list[Annotated[int, Field(ge=0, lt=200)]], Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Indexes of the invoice's lines to credit; none: the whole invoice"
    )


class SendRequest(BaseModel):
    model_config = STRICT
    to: Annotated[list[Email], Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="Addresses; none: the contact's persons who receive financial documents"
    )


class Sent(BaseModel):
    document: Document
    to: list[str]


class DownloadLink(BaseModel):
    url: str
    expires_at: str
    filename: str


class PaymentFields(BaseModel):
    model_config = STRICT
    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT)]
    date: IsoDate
    method: Literal["bank_transfer", "card", "cash", "cheque", "direct_debit", "other"]
    reference: Text | None = None


class Payment(BaseModel):
    id: str
    document_id: str
    amount: int
    currency: str
    date: str
    method: str
    reference: str | None = None
    recorded_at: str
    recorded_by: str
