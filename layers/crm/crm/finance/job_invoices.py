"""Invoicing a completed job in one call: its chargeable lines become ONE invoice (a draft, or
issued) for the account billed (the site's parent when the job is at one of its sites, the site
as the delivery address), made through `service.create_document` with the job marked invoiced in
the draft's own transaction, so a job is invoiced once.

A job line names its tax as the code of a finance tax rate (`tax_rate_id`) or as a percentage
(`tax_rate`): a percentage is the one finance tax rate of that percentage. A code that is not a
tax rate, or a percentage that matches none or several, is a 422 naming the job's line.
"""

from __future__ import annotations

from crm.finance import fields as custom_fields
from crm.finance import issuing, settings
from crm.finance import service as documents
from crm.finance.lines import rate_code
from crm.finance.models import TaxRate
from crm.jobs import charges as job_charges
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, invalid_fields
from crm.platform.i18n import tr


def document_lines(job_lines: list[dict], rates: list[TaxRate]) -> tuple[list[dict], list[FieldError]]:
    """The job's lines as an invoice's free lines, and a bad field for each line whose tax names no
    one finance tax rate (`lines.2.tax_rate_id`, as the job's lines are numbered)."""
    out: list[dict] = []
    problems: list[FieldError] = []
    for n, line in enumerate(job_lines):
        code = rate_code(line, rates)
        if code is None:
            field = "tax_rate_id" if line.get("tax_rate_id") else "tax_rate"
            given = line.get("tax_rate_id") or line.get("tax_rate")
            problems.append(
                FieldError(
                    f"lines.{n}.{field}",
                    tr(
                        'the job\'s line "{description}": {rate} is not one tax rate of the finance settings',
                        description=line["description"],
                        rate=given,
                    ),
                )
            )
            continue
        chosen = {"description": line["description"], "quantity": line["quantity"], "unit_price": line["unit_price"], "tax_rate": code}
        if line.get("nominal_code"):
            chosen["nominal_code"] = line["nominal_code"]
        if line.get("stock_item_id"):
            chosen["item_id"] = line["stock_item_id"]
        out.append(chosen)
    return out, problems


def invoice(principal: Principal, job_id: str, issue: bool) -> dict:
    """The job's invoice (issued when `issue`). 404 for no such job; 409 when it is not completed or
    is already invoiced (naming the invoice); 422 naming each line finance cannot tax; nothing
    stored then."""
    tenant = principal.tenant
    job = job_charges.chargeable(tenant, job_id)
    job_charges.check_invoiceable(job)
    if not job["lines"]:
        raise Conflict(tr("the job has no chargeable lines to invoice"))
    lines, problems = document_lines(job["lines"], settings.current(tenant).tax_rates)
    if problems:
        raise invalid_fields(problems)
    if issue:  # an invoice that cannot be issued (required custom fields) is refused before any draft is made
        custom_fields.checked(tenant, "invoice", {}, complete=True)
    fields: dict = {"type": "invoice", "contact_id": job["parent_id"] or job["contact_id"], "lines": lines, "reference": job["reference"]}
    if job["parent_id"]:
        fields["delivery_site_id"] = job["contact_id"]
    draft = documents.create_document(
        principal,
        fields,
        origin={"kind": "job", "id": job_id},
        also=lambda document: job_charges.mark_invoiced(tenant, job_id, document["id"]),
    )
    return issuing.issue(principal, draft["id"], draft["version"]) if issue else draft
