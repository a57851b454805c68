"""Payments against an issued invoice (amount, date, method): the invoice's paid amount and
payment status (unpaid, part paid, paid) move in the same transaction as the payment, and so does
its contact's ledger (crm.finance.ledger). A payment larger than what is due is refused."""

from __future__ import annotations

from crm.finance import ledger, lifecycle
from crm.finance import repository as repo
from crm.finance import service as documents
from crm.finance.einvoice import submissions
from crm.finance.models import PaymentFields
from crm.platform import clock, dynamo, idempotency, ids
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, NotFound, PreconditionFailed, Unavailable, invalid
from crm.platform.i18n import tr

ATTEMPTS = 5  # two payments recorded at once: the second re-reads the invoice and tries again


def _invoice(tenant: str, invoice_id: str) -> dict:
    invoice = documents.get(tenant, invoice_id)
    if invoice["type"] != "invoice":
        raise Conflict(tr("payments are recorded against invoices"))
    lifecycle.check_issued(invoice)
    return invoice


def record(principal: Principal, invoice_id: str, fields: PaymentFields) -> dict:
    tenant = principal.tenant
    payment_id = ids.new_id()
    payment: dict = {
        "id": payment_id,
        "document_id": invoice_id,
        "amount": fields.amount,
        "date": fields.date.isoformat(),
        "method": fields.method,
        "reference": fields.reference,
        "recorded_at": clock.iso(clock.now()),
        "recorded_by": principal.actor,
    }
    for _ in range(ATTEMPTS):
        invoice = _invoice(tenant, invoice_id)
        if fields.amount > invoice["due"]:
            raise invalid("amount", tr("is more than what is due on the invoice ({due} in minor units)", due=max(invoice["due"], 0)))
        payment["currency"] = invoice["currency"]
        settled = documents.settle(invoice, paid=invoice["paid"] + fields.amount, credited=invoice.get("credited", 0))
        steps = [*idempotency.claim(payment_id), repo.save_step(tenant, settled, invoice["version"])]
        steps.append(repo.payment_step(tenant, invoice_id, {k: v for k, v in payment.items() if v is not None}))
        steps += ledger.paid(tenant, settled, payment)
        try:
            dynamo.transact_explained(steps)
        except PreconditionFailed:
            continue  # the invoice moved (another payment, a credit note): read it again
        if settled["payment_status"] == "paid":
            submissions.report_paid(tenant, settled)  # a services invoice on the platform: "paid", once
        return payment
    raise Unavailable(tr("the invoice is busy; nothing was recorded, retry shortly"), headers={"Retry-After": "1"})


def of(tenant: str, invoice_id: str) -> list[dict]:
    documents.get(tenant, invoice_id)
    return repo.payments(tenant, invoice_id)


def one(tenant: str, invoice_id: str, payment_id: str) -> dict:
    found = next((p for p in of(tenant, invoice_id) if p["id"] == payment_id), None)
    if found is None:
        raise NotFound(tr("no such payment"))
    return found
