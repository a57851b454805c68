"""Pydantic shapes of a job's invoice request, the contact's financial tab and its statement of
account (kept apart from crm.finance.models, the documents' shapes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from crm.finance.models import DownloadLink
from crm.platform.types import STRICT, Email, IsoDate


class JobInvoiceRequest(BaseModel):
    model_config = STRICT
    issue: bool = Field(default=False, description="Issue the invoice at once (numbered); otherwise a draft")


class StatementEntry(BaseModel):
    date: str
    kind: Literal["invoice", "credit_note", "payment"]
    contact_id: str
    contact_name: str
    document_id: str | None = Field(default=None, description="The invoice or credit note")
    payment_id: str | None = None
    number: str | None = Field(default=None, description="The invoice's or credit note's number")
    invoice_id: str | None = Field(default=None, description="A payment's or credit note's invoice")
    invoice_number: str | None = None
    due_date: str | None = Field(default=None, description="An invoice's")
    method: str | None = Field(default=None, description="A payment's")
    reference: str | None = None
    debit: int = Field(description="What it charges (an invoice's gross)")
    credit: int = Field(description="What it settles (a credit note, a payment)")
    balance: int = Field(description="The running balance after it")


class StatementTotals(BaseModel):
    invoiced: int
    credited: int
    paid: int


class Owed(BaseModel):
    invoice_id: str
    number: str | None = None
    issue_date: str | None = None
    due_date: str
    due: int = Field(description="What the invoice still had due on the statement's last day")


class Ageing(BaseModel):
    """What was due on the statement's last day, by days past due."""

    current: int
    days_1_30: int
    days_31_60: int
    days_61_90: int
    over_90: int
    total: int


class Statement(BaseModel):
    contact_id: str
    contact_name: str
    include_children: bool
    since: str
    until: str
    currency: str
    opening_balance: int = Field(description="What the contact owed before `since` (negative: in credit)")
    closing_balance: int
    entries: list[StatementEntry]
    totals: StatementTotals
    owed: list[Owed] = Field(description="The invoices with something due on `until`, oldest due first")
    ageing: Ageing
    pdf: DownloadLink | None = Field(default=None, description="format=pdf: the statement's PDF")


class StatementSendRequest(BaseModel):
    model_config = STRICT
    since: IsoDate | None = None
    until: IsoDate | None = None
    include_children: bool = False
    to: Annotated[list[Email], Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="Addresses; none: the contact's persons who receive financial documents"
    )


class StatementSent(BaseModel):
    to: list[str]
    filename: str
    closing_balance: int


class MoneyRow(BaseModel):
    charges: int = Field(description="What the jobs' chargeable lines come to (invoiced or not)")
    labour_cost: int
    mileage_cost: int
    parts_cost: int = Field(description="The cost price of the parts fitted and units installed on the jobs, less those returned")
    costs: int = Field(description="labour_cost + mileage_cost + parts_cost")
    revenue: int = Field(description="Invoiced, net of tax, less credit notes")
    margin: int = Field(description="revenue - costs")


class FinancialMonth(MoneyRow):
    month: str
    jobs: int


class FinancialJob(MoneyRow):
    job_id: str
    reference: str
    contact_id: str
    completed_at: str
    month: str


class FinancialTotals(MoneyRow):
    jobs: int


class DocumentsSummary(BaseModel):
    balance: int = Field(description="What the contact owes over all its invoices, credit notes and payments")
    unpaid: int = Field(description="What its open invoices have due")
    unpaid_invoices: int
    overdue: int = Field(description="What of it is past its due date")
    overdue_invoices: int


class FinancialTab(BaseModel):
    contact_id: str
    include_children: bool
    since: str = Field(description="First month, YYYY-MM")
    until: str = Field(description="Last month, YYYY-MM")
    currency: str
    months: list[FinancialMonth]
    jobs: list[FinancialJob]
    totals: FinancialTotals
    documents: DocumentsSummary
