"""Pydantic shapes of contracts and the billing schedule at the HTTP edge.

A contract (the seed's "Contrats"): a contact, a reference, a start date, the end of its minimum
period and an optional extension, a nominal code, a deposit (first payment), a frequency, and
either an instalment per period or a total value spread over the minimum period; the scans
attached (the contact's attachments), its planned jobs, the equipment and consumables it covers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from crm.finance.models import Amount, Code
from crm.platform.i18n import tr
from crm.platform.recurrence import Recurrence
from crm.platform.types import STRICT, Email, Id, IsoDate, LongText, Text

ContractStatus = Literal["draft", "active", "ended", "cancelled"]
Frequency = Literal["monthly", "quarterly", "yearly"]
AttachmentId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Serial = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Quantity = Annotated[str, StringConstraints(pattern=r"^\d{1,9}(\.\d{1,3})?$")]


class Covered(BaseModel):
    """A stock item the contract covers: a piece of equipment (its serial) or a consumable."""

    model_config = STRICT
    item_id: Id
    serial: Serial | None = Field(default=None, description="An equipment unit's serial number")
    quantity: Quantity | None = Field(default=None, description="A consumable's quantity covered")


class ContractTerms(BaseModel):
    """What a contract bills; changed only while it is a draft."""

    model_config = STRICT
    start_date: IsoDate
    end_date: IsoDate = Field(description="The last day of the minimum period")
    extended_until: IsoDate | None = Field(default=None, description="The last day once extended beyond the minimum period")
    frequency: Frequency = "monthly"
    instalment: Amount | None = Field(default=None, description="What each period bills (or total_value)")
    total_value: Amount | None = Field(default=None, description="Spread over the minimum period's periods, the remainder on the last")
    deposit: Amount = Field(default=0, description="First payment, billed once with the first period")
    tax_rate: Code = Field(description="The tax rate of its invoice lines (finance settings)")
    nominal_code: Code | None = None


class ContractLinks(BaseModel):
    model_config = STRICT
    reference: Text | None = None
    description: Text | None = Field(default=None, description="Printed on each invoice line")
    notes: LongText | None = None
    attachment_ids: Annotated[list[AttachmentId], Field(max_length=20)] = Field(
        default=[], description="Scans among the contact's attachments"
    )
    job_ids: Annotated[list[Id], Field(max_length=100)] = Field(default=[], description="The contract's planned jobs")
    covered: Annotated[list[Covered], Field(max_length=100)] = []


class ContractFields(ContractTerms, ContractLinks):
    contact_id: Id


class ContractPatch(BaseModel):
    """A merge patch: the terms while a draft, the links (reference, scans, jobs, cover) always."""

    model_config = STRICT
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    extended_until: IsoDate | None = None
    frequency: Frequency | None = None
    instalment: Amount | None = None
    total_value: Amount | None = None
    deposit: Amount | None = None
    tax_rate: Code | None = None
    nominal_code: Code | None = None
    reference: Text | None = None
    description: Text | None = None
    notes: LongText | None = None
    attachment_ids: Annotated[list[AttachmentId], Field(max_length=20)] | None = None
    job_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    covered: Annotated[list[Covered], Field(max_length=100)] | None = None


class ContractMark(BaseModel):
    model_config = STRICT
    status: Literal["active", "ended", "cancelled"]


class PeriodView(BaseModel):
    index: int
    start: str
    end: str
    amount: int
    deposit: int
    invoice_id: str | None = Field(default=None, description="The period's invoice once billed (GET /contracts/{id}; lists leave it out)")


class Contract(BaseModel):
    id: str
    version: int
    status: str
    contact_id: str
    reference: str | None = None
    description: str | None = None
    notes: str | None = None
    start_date: str
    end_date: str
    extended_until: str | None = None
    frequency: str
    instalment: int | None = None
    total_value: int | None = None
    deposit: int
    currency: str
    tax_rate: str
    nominal_code: str | None = None
    attachment_ids: list[str] = []
    job_ids: list[str] = []
    covered: list[Covered] = []
    next_period: int = Field(description="The first period not billed yet")
    billed_ahead: list[int] = Field(default=[], description="Periods after next_period billed early (bill now)")
    next_billing_date: str | None = Field(default=None, description="When the next period is billed (active contracts)")
    periods: list[PeriodView]
    created_at: str
    updated_at: str


class ContractInvoice(BaseModel):
    period: int
    period_start: str
    period_end: str
    document_id: str
    number: str | None = None
    status: str
    payment_status: str | None = None
    gross: int
    currency: str


class BillRequest(BaseModel):
    model_config = STRICT
    period: Annotated[int, Field(ge=0, lt=600)] = Field(description="The period to bill now (0 is the first)")


class BillingScheduleFields(BaseModel):
    """When the tenant's billing run starts (monthly), whether its invoices are emailed, and who gets
    each run's summary."""

    model_config = STRICT
    recurrence: Recurrence
    auto_send: bool = Field(default=False, description="Email each invoice to the contact's persons who receive financial documents")
    summary_to: Annotated[list[Email], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _monthly(self) -> BillingScheduleFields:
        if self.recurrence.frequency != "monthly":
            raise ValueError(tr("the billing run is monthly"))
        return self


class BillingSchedule(BaseModel):
    """The schedule as set (version 0 and no recurrence until an admin sets it: no run is armed)."""

    recurrence: Recurrence | None = None
    auto_send: bool = False
    summary_to: list[str] = []
    version: int = 0
    upcoming: list[str] = Field(default=[], description="The next 12 runs, in the schedule's time zone")
