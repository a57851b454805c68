"""Finance API: the finance settings, documents (quotes, invoices, credit notes, purchase orders)
through their lifecycle, their PDFs, sending, payments, and exports of the documents lists.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.finance import (
    billing,
    billing_schedule,
    contracts,
    downloads,
    exports,
    financial_tab,
    issuing,
    job_invoices,
    lists,
    payments,
    sending,
    service,
    settings,
    statement_sending,
    statements,
)
from crm.finance.contracts_models import (
    BillingSchedule,
    BillingScheduleFields,
    BillRequest,
    Contract,
    ContractFields,
    ContractInvoice,
    ContractMark,
    ContractPatch,
    ContractStatus,
)
from crm.finance.ledger_models import FinancialTab, JobInvoiceRequest, Statement, StatementSendRequest, StatementSent
from crm.finance.models import (
    CreditNoteRequest,
    Document,
    DocumentFields,
    DocumentMark,
    DocumentPatch,
    DocumentStatus,
    DocumentType,
    DownloadLink,
    Duplicate,
    FinanceSettings,
    FinanceSettingsPatch,
    Payment,
    PaymentFields,
    SendRequest,
    Sent,
)
from crm.jobs.models import Job
from crm.platform import settings as environment
from crm.platform.auth import ADMINS, STAFF
from crm.platform.files import FileLink
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import IsoDate, Limit

environment.require(
    environment.TABLE_NAME,
    environment.IDEMPOTENCY_TABLE,
    environment.CURSOR_KEYS_PARAMETER,
    environment.DOCUMENTS_BUCKET,
    environment.ATTACHMENTS_BUCKET,
    environment.MAIL_FROM,
    environment.EINVOICING_PLATFORM,
    environment.BILLING_RUN_FUNCTION_ARN,  # saving the billing schedule arms its runs
    environment.SCHEDULER_ROLE_ARN,
    environment.SCHEDULE_GROUP,
    environment.SCHEDULES_DLQ_ARN,
)
api = Api("finance", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=2048)]
IdParam = Annotated[str | None, Query(max_length=26)]
ISSUED = "the document is not a draft (issued documents are duplicated or credited, never edited or deleted)"
DRAFT = "the document is a draft: issue it first"


def _tenant() -> str:
    return api.principal().tenant


def _document(document: dict):
    return respond(Document.model_validate(document), version=document["version"])


# ---------------------------------------------------------------- settings


@api.route("GET", "/finance/settings", roles=STAFF, returns=FinanceSettings)
def get_settings():
    found = settings.current(_tenant())
    return respond(found, version=found.version)


@api.route("PATCH", "/finance/settings", roles=ADMINS, returns=FinanceSettings, if_match="required")
def update_settings(body: FinanceSettingsPatch):  # type: ignore[valid-type]
    updated = settings.update(api.principal(), body, api.version())
    return respond(updated, version=updated.version)


# ---------------------------------------------------------------- documents


def _filters(
    type: DocumentType | None,
    status: DocumentStatus | None,
    contact_id: str | None,
    delivery_site_id: str | None,
    origin_kind: str | None,
    origin_id: str | None,
    include: str | None,
    since,
    until,
) -> dict:
    origin = (origin_kind, origin_id) if origin_kind and origin_id else None
    return {
        "type": type,
        "status": status,
        "contact_id": contact_id,
        "delivery_site_id": delivery_site_id,
        "origin": origin,
        "include": include,
        "since": since,
        "until": until,
    }


Type = Annotated[DocumentType | None, Query()]
StatusFilter = Annotated[DocumentStatus | None, Query()]
Include = Annotated[Literal["children"] | None, Query(description="with contact_id: its child contacts' documents too")]
OriginKind = Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]+$")]
Since = Annotated[IsoDate | None, Query(description="issued on or after this day (a draft: created)")]
Until = Annotated[IsoDate | None, Query(description="issued on or before this day")]


@api.route("GET", "/documents", roles=STAFF)
def list_documents(
    type: Type = None,
    status: StatusFilter = None,
    contact_id: IdParam = None,
    delivery_site_id: IdParam = None,
    origin_kind: OriginKind = None,
    origin_id: IdParam = None,
    include: Include = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Document]:
    filters = _filters(type, status, contact_id, delivery_site_id, origin_kind, origin_id, include, since, until)
    items, next_cursor = lists.find(api.principal(), **filters, limit=limit, cursor=cursor)
    return Page(items=[Document.model_validate(d) for d in items], next_cursor=next_cursor)


@api.route("GET", "/documents/export", roles=STAFF, returns=FileLink)
def export_documents(
    format: Annotated[Literal["csv", "xlsx"], Query()],
    type: Type = None,
    status: StatusFilter = None,
    contact_id: IdParam = None,
    delivery_site_id: IdParam = None,
    origin_kind: OriginKind = None,
    origin_id: IdParam = None,
    include: Include = None,
    since: Since = None,
    until: Until = None,
):
    filters = _filters(type, status, contact_id, delivery_site_id, origin_kind, origin_id, include, since, until)
    return respond(exports.export(api.principal(), format, filters))


@api.route("POST", "/documents", roles=STAFF, returns=Document, location="/documents/{document_id}")
def create_document(body: DocumentFields):
    document = service.create(api.principal(), body)
    return respond(Document.model_validate(document), 201, document["version"])


@api.route(
    "POST",
    "/documents/duplicates",
    roles=STAFF,
    returns=Document,
    location="/documents/{document_id}",
    conflicts=("a credit note is not duplicated",),
)
def duplicate_document(body: Duplicate):
    document = service.duplicate(api.principal(), body.document_id)
    return respond(Document.model_validate(document), 201, document["version"])


@api.route(
    "POST",
    "/documents/credit-notes",
    roles=STAFF,
    returns=Document,
    location="/documents/{document_id}",
    conflicts=("only an issued invoice is credited",),
)
def create_credit_note(body: CreditNoteRequest):
    document = service.credit_note(api.principal(), body)
    return respond(Document.model_validate(document), 201, document["version"])


@api.route("GET", "/documents/{document_id}", roles=STAFF, returns=Document)
def get_document(document_id: str):
    return _document(service.get(_tenant(), document_id))


@api.route("PATCH", "/documents/{document_id}", roles=STAFF, returns=Document, if_match="required", conflicts=(ISSUED,))
def update_document(document_id: str, body: DocumentPatch):
    return _document(service.update(api.principal(), document_id, body, api.version()))


@api.route("DELETE", "/documents/{document_id}", roles=STAFF, if_match="required", conflicts=(ISSUED,))
def delete_document(document_id: str):
    service.delete(api.principal(), document_id, api.version())
    return respond(None, 204)


@api.route(
    "POST",
    "/documents/{document_id}/issue",
    roles=STAFF,
    returns=Document,
    if_match="required",
    etag_of="/documents/{document_id}",
    conflicts=("the document is already issued", "the logo changed since issue"),
)
def issue_document(document_id: str):
    return _document(issuing.issue(api.principal(), document_id, api.version()))


@api.route(
    "POST",
    "/documents/{document_id}/status",
    roles=STAFF,
    returns=Document,
    if_match="required",
    etag_of="/documents/{document_id}",
    conflicts=("the document cannot be marked so from its status",),
)
def mark_document(document_id: str, body: DocumentMark):
    return _document(service.mark(api.principal(), document_id, body.status, api.version()))


@api.route("GET", "/documents/{document_id}/pdf", roles=STAFF, returns=DownloadLink, conflicts=("the logo changed since issue",))
def download_pdf(document_id: str):
    """The PDF of an issued document (its archived file), or a draft's preview."""
    return respond(DownloadLink.model_validate(downloads.pdf_link(api.principal(), document_id)))


@api.route(
    "GET",
    "/documents/{document_id}/einvoice",
    roles=STAFF,
    returns=DownloadLink,
    conflicts=(DRAFT, "only an invoice or a credit note has an e-invoice", "issued before e-invoicing"),
)
def download_einvoice(
    document_id: str,
    format: Annotated[
        Literal["cii", "ubl"],
        Query(description="cii: UN/CEFACT CII D16B (Factur-X EN 16931); ubl: OASIS UBL 2.1 (EN 16931). The link serves application/xml"),
    ],
):
    """The bare CII or UBL 2.1 XML of an issued invoice or credit note (EN 16931), as application/xml."""
    return respond(DownloadLink.model_validate(downloads.einvoice_link(api.principal(), document_id, format)))


@api.route(
    "POST",
    "/documents/{document_id}/send",
    roles=STAFF,
    returns=Sent,
    conflicts=(DRAFT, "the document is being sent", "the logo changed since issue"),
)
def send_document(document_id: str, body: SendRequest):
    return respond(Sent.model_validate(sending.send(api.principal(), document_id, body)))


# ---------------------------------------------------------------- payments


@api.route("GET", "/documents/{document_id}/payments", roles=STAFF)
def list_payments(document_id: str) -> Page[Payment]:
    return Page(items=[Payment.model_validate(p) for p in payments.of(_tenant(), document_id)])


@api.route(
    "POST",
    "/documents/{document_id}/payments",
    roles=STAFF,
    returns=Payment,
    location="/documents/{document_id}/payments/{payment_id}",
    conflicts=(DRAFT, "payments are recorded against invoices"),
)
def record_payment(document_id: str, body: PaymentFields):
    return respond(Payment.model_validate(payments.record(api.principal(), document_id, body)), 201)


@api.route("GET", "/documents/{document_id}/payments/{payment_id}", roles=STAFF, returns=Payment)
def get_payment(document_id: str, payment_id: str):
    return respond(Payment.model_validate(payments.one(_tenant(), document_id, payment_id)))


# ---------------------------------------------------------------- contracts and the billing run

ACTIVE_ONLY = "only an active contract is billed"
NOT_DRAFT = "the contract's terms change only while it is a draft; only a draft is deleted"


def _contract(tenant: str, contract: dict):
    return respond(Contract.model_validate(contracts.view(tenant, contract)), version=contract["version"])


@api.route("GET", "/finance/billing-schedule", roles=STAFF, returns=BillingSchedule)
def get_billing_schedule():
    found = billing_schedule.get(_tenant())
    return respond(found, version=found.version)


@api.route("PUT", "/finance/billing-schedule", roles=ADMINS, returns=BillingSchedule, if_match="required")
def put_billing_schedule(body: BillingScheduleFields):
    saved = billing_schedule.put(api.principal(), body, api.version())
    return respond(saved, version=saved.version)


@api.route("GET", "/contracts", roles=STAFF)
def list_contracts(
    contact_id: IdParam = None,
    status: Annotated[ContractStatus | None, Query()] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Contract]:
    items, next_cursor = contracts.find(api.principal(), contact_id=contact_id, status=status, limit=limit, cursor=cursor)
    return Page(items=[Contract.model_validate(c) for c in items], next_cursor=next_cursor)


@api.route("POST", "/contracts", roles=STAFF, returns=Contract, location="/contracts/{contract_id}")
def create_contract(body: ContractFields):
    contract = contracts.create(api.principal(), body)
    return respond(Contract.model_validate(contracts.view(_tenant(), contract)), 201, contract["version"])


@api.route("GET", "/contracts/{contract_id}", roles=STAFF, returns=Contract)
def get_contract(contract_id: str):
    return _contract(_tenant(), contracts.get(_tenant(), contract_id))


@api.route("PATCH", "/contracts/{contract_id}", roles=STAFF, returns=Contract, if_match="required", conflicts=(NOT_DRAFT,))
def update_contract(contract_id: str, body: ContractPatch):
    return _contract(_tenant(), contracts.update(api.principal(), contract_id, body, api.version()))


@api.route("DELETE", "/contracts/{contract_id}", roles=STAFF, if_match="required", conflicts=(NOT_DRAFT,))
def delete_contract(contract_id: str):
    contracts.delete(api.principal(), contract_id, api.version())
    return respond(None, 204)


@api.route(
    "POST",
    "/contracts/{contract_id}/status",
    roles=STAFF,
    returns=Contract,
    if_match="required",
    etag_of="/contracts/{contract_id}",
    conflicts=("the contract cannot move so from its status",),
)
def mark_contract(contract_id: str, body: ContractMark):
    return _contract(_tenant(), contracts.mark(api.principal(), contract_id, body.status, api.version()))


@api.route("GET", "/contracts/{contract_id}/invoices", roles=STAFF)
def contract_invoices(contract_id: str) -> Page[ContractInvoice]:
    return Page(items=[ContractInvoice.model_validate(i) for i in contracts.invoices(_tenant(), contract_id)])


@api.route("GET", "/contracts/{contract_id}/jobs", roles=STAFF)
def contract_jobs(contract_id: str) -> Page[Job]:
    return Page(items=[Job.model_validate(j) for j in contracts.planned_jobs(api.principal(), contract_id)])


@api.route("POST", "/contracts/{contract_id}/bill", roles=STAFF, returns=Document, conflicts=(ACTIVE_ONLY,))
def bill_contract(contract_id: str, body: BillRequest):
    """Bill one period now (its invoice, the same one if it is billed already): the scheduled run
    then neither bills it again nor skips the periods before it."""
    return _document(billing.bill_now(api.principal(), contract_id, body.period))


# ---------------------------------------------------------------- a job's invoice, a contact's money


@api.route(
    "POST",
    "/jobs/{job_id}/invoice",
    roles=STAFF,
    returns=Document,
    location="/documents/{document_id}",
    conflicts=("the job is not completed", "the job is already invoiced (the problem names its invoice)", "the job has no lines"),
)
def invoice_job(job_id: str, body: JobInvoiceRequest):
    """A completed job's chargeable lines as one invoice (a draft, or issued), the job marked invoiced."""
    document = job_invoices.invoice(api.principal(), job_id, body.issue)
    return respond(Document.model_validate(document), 201, document["version"])


PeriodSince = Annotated[IsoDate | None, Query(description="First day (the financial tab: its month)")]
PeriodUntil = Annotated[IsoDate | None, Query(description="Last day; default today")]
WithChildren = Annotated[bool, Query(description="With the contact's child sites")]


FAMILY = "include_children: the contact has more than 100 child contacts"


@api.route("GET", "/contacts/{contact_id}/financial", roles=STAFF, returns=FinancialTab, conflicts=(FAMILY,))
def contact_financial_tab(contact_id: str, since: PeriodSince = None, until: PeriodUntil = None, include_children: WithChildren = False):
    """Revenue, job costs and margin per month and per job, and the documents summary; by default
    the twelve months to this one."""
    return respond(FinancialTab.model_validate(financial_tab.tab(api.principal(), contact_id, since, until, include_children)))


@api.route("GET", "/contacts/{contact_id}/statement", roles=STAFF, returns=Statement, conflicts=(FAMILY,))
def contact_statement(
    contact_id: str,
    since: PeriodSince = None,
    until: PeriodUntil = None,
    include_children: WithChildren = False,
    format: Annotated[Literal["json", "pdf"], Query(description="pdf: also a link to its PDF")] = "json",
):
    """The statement of account over the period (by default this month to today)."""
    principal = api.principal()
    if format == "pdf":
        return respond(Statement.model_validate(statement_sending.with_pdf(principal, contact_id, since, until, include_children)))
    return respond(Statement.model_validate(statements.statement(principal.tenant, contact_id, since, until, include_children)))


@api.route("POST", "/contacts/{contact_id}/statement/send", roles=STAFF, returns=StatementSent, conflicts=(FAMILY,))
def send_statement(contact_id: str, body: StatementSendRequest):
    """Email the statement's PDF to the persons who receive financial documents, or to `to`."""
    return respond(StatementSent.model_validate(statement_sending.send(api.principal(), contact_id, body)))


handler = api.handler()
