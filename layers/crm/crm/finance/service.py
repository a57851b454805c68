"""Documents: drafts (create, edit, duplicate, delete), status marks, credit notes, and
`create_document` for other contexts (their lists: crm.finance.lists; their issue with a gapless
number: crm.finance.issuing).

A document is self-contained once issued: its lines carry their tax rates, its parties (the
billing and delivery addresses as printed) and its locale are fixed at issue, so its PDF renders
the same bytes whenever it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.finance import fields as custom_fields
from crm.finance import lifecycle, lines, settings
from crm.finance import repository as repo
from crm.finance.models import CreditNoteRequest, DocumentFields, DocumentPatch, FinanceSettings
from crm.finance.money import payment_status
from crm.jobs import charges as job_charges
from crm.people import service as people
from crm.platform import clock, dynamo, idempotency, ids, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, invalid, invalid_fields
from crm.platform.http import validation_errors
from crm.platform.i18n import tr

Also = Callable[[dict], list[dynamo.Step]]
KEPT_BY_LAW = frozenset({"invoice", "credit_note"})  # the person-data index keeps them whole on erasure


def get(tenant: str, document_id: str) -> dict:
    found = repo.get_document(tenant, document_id)
    if found is None:
        raise NotFound(tr("no such document"))
    return found


def lookup(tenant: str, document_id: str) -> dict | None:
    """For other contexts: the document, or None when there is none (a draft deleted since)."""
    return repo.get_document(tenant, document_id)


def _fresh(document: dict, expected_version: int) -> None:
    if document["version"] != expected_version:
        raise repo.stale()


def _contact(tenant: str, contact_id: str, field: str) -> dict:
    found = contacts.lookup(tenant, contact_id)
    if found is None:
        raise invalid(field, tr("is not a contact of this account"))
    return found


def _check_parties(tenant: str, doc_type: str, contact_id: str, site_id: str | None, person_id: str | None) -> list[FieldError]:
    problems = []
    if site_id is not None:
        site = contacts.lookup(tenant, site_id)
        if site is None:
            problems.append(FieldError("delivery_site_id", tr("is not a contact of this account")))
        elif doc_type != "purchase_order" and site_id != contact_id and site.get("parent_id") != contact_id:
            problems.append(FieldError("delivery_site_id", tr("is not a site of the contact (one of its children)")))
    if person_id is not None:
        person = people.lookup(tenant, person_id)
        if person is None or person["contact_id"] != contact_id:
            problems.append(FieldError("person_id", tr("is not a person at the contact")))
    return problems


def filed(tenant: str, document: dict, delta: int) -> list[dynamo.Step]:
    """The contact (and the delivery site) keep a count of their documents: neither is deleted while
    it has any."""
    steps = dependents.filed(tenant, document["contact_id"], "documents", delta)
    site = document.get("delivery_site_id")
    if site and site != document["contact_id"]:
        steps += dependents.filed(tenant, site, "documents", delta)
    return steps


def indexed(tenant: str, document: dict, delta: int) -> list[dynamo.Step]:
    if not document.get("person_id"):
        return []
    subjects = [personal_data.person(document["person_id"])]
    place = repo.place(tenant, document["id"], personal_data.KEEP if document["type"] in KEPT_BY_LAW else personal_data.REDACT)
    return personal_data.register(tenant, subjects, place) if delta > 0 else personal_data.unregister(tenant, subjects, place)


def _priced(tenant: str, document: dict, given, chosen_settings: FinanceSettings | None = None) -> dict:
    chosen = lines.resolve(tenant, chosen_settings or settings.current(tenant), given)
    return {**document, "lines": chosen, **lines.priced(chosen)}


def dates_checked(document: dict) -> None:
    if document.get("issue_date") and document.get("due_date") and document["due_date"] < document["issue_date"]:
        raise invalid("due_date", tr("must not be before issue_date"))


# ---------------------------------------------------------------- drafts


def create(principal: Principal, fields: DocumentFields, origin: dict | None = None, also: Also | None = None) -> dict:
    """A draft. `origin` names what it was made from (sales: {"kind": "opportunity", "id": ...}),
    listed by `documents_of(origin=...)`; `also(draft)` gives steps for the draft's own transaction
    (a job marked invoiced by it; sales: the link to the opportunity and its note)."""
    return _insert(principal.tenant, drafted(principal, fields, origin), also)


def drafted(
    principal: Principal,
    fields: DocumentFields,
    origin: dict | None = None,
    chosen: FinanceSettings | None = None,
    contact: dict | None = None,
) -> dict:
    """The draft `fields` make, checked and priced, not stored. `chosen` (the finance settings) and
    `contact` (the document's contact) when the caller has read them (the billing run: once per run,
    once per batch); read here otherwise."""
    tenant = principal.tenant
    chosen = chosen or settings.current(tenant)
    if contact is None or contact["id"] != fields.contact_id:
        _contact(tenant, fields.contact_id, "contact_id")
    problems = _check_parties(tenant, fields.type, fields.contact_id, fields.delivery_site_id, fields.person_id)
    if problems:
        raise invalid_fields(problems)
    now = clock.iso(clock.now())
    document = {
        "id": ids.new_id(),
        "version": 1,
        "type": fields.type,
        "status": "draft",
        "contact_id": fields.contact_id,
        "delivery_site_id": fields.delivery_site_id,
        "person_id": fields.person_id,
        "origin": origin,
        "currency": chosen.currency,
        "reference": fields.reference,
        "notes": fields.notes,
        "issue_date": fields.issue_date.isoformat() if fields.issue_date else None,
        "due_date": fields.due_date.isoformat() if fields.due_date else None,
        "delivery_date": fields.delivery_date.isoformat() if fields.delivery_date else None,
        "operation": fields.operation,
        "custom_fields": custom_fields.checked(tenant, fields.type, fields.custom_fields, chosen=chosen),
        "created_at": now,
        "updated_at": now,
        "created_by": principal.actor,
    }
    dates_checked(document)
    return _priced(tenant, document, fields.lines, chosen)


def _insert(tenant: str, document: dict, also: Also | None = None) -> dict:
    document = {k: v for k, v in document.items() if v is not None}
    steps = [*filed(tenant, document, +1), *indexed(tenant, document, +1), *(also(document) if also else [])]
    repo.create_document(tenant, document, steps, idempotency.claim(document["id"]))
    return document


def parsed(fields: dict) -> DocumentFields:
    """`fields` as POST /documents takes them; raises Invalid (422) naming the bad fields."""
    try:
        return DocumentFields.model_validate(fields)
    except ValidationError as e:
        raise invalid_fields(validation_errors(e.errors())) from None


def create_document(principal: Principal, fields: dict, origin: dict | None = None, also: Also | None = None) -> dict:
    """For other contexts (sales: a quote from an opportunity) and finance's own (a job's invoice):
    `fields` as POST /documents takes them; raises Invalid (422) naming the bad fields. `also`: as
    `create`'s (the contact's existence is checked in that transaction already)."""
    return create(principal, parsed(fields), origin, also)


def update(principal: Principal, document_id: str, patch: DocumentPatch, expected_version: int) -> dict:
    tenant = principal.tenant
    old = get(tenant, document_id)
    _fresh(old, expected_version)
    lifecycle.check_draft(old, tr("edited"))
    changes = patch.model_dump(exclude_unset=True, exclude={"lines"}, mode="json")
    if "custom_fields" in changes:
        changes["custom_fields"] = custom_fields.checked(tenant, old["type"], changes["custom_fields"] or {})
    new = {**old, **changes, "version": old["version"] + 1, "updated_at": clock.iso(clock.now())}
    problems = _check_parties(tenant, new["type"], new["contact_id"], new.get("delivery_site_id"), new.get("person_id"))
    if problems:
        raise invalid_fields(problems)
    dates_checked(new)
    if patch.lines is not None:
        new = _priced(tenant, new, patch.lines)
    new = {k: v for k, v in new.items() if v is not None}
    also: list[dynamo.Step] = []
    if old.get("delivery_site_id") != new.get("delivery_site_id"):
        also += _site_moves(tenant, old, new)
    if old.get("person_id") != new.get("person_id"):
        also += [*indexed(tenant, old, -1), *indexed(tenant, new, +1)]
    repo.save_document(tenant, new, expected_version, also)
    return new


def _site_moves(tenant: str, old: dict, new: dict) -> list[dynamo.Step]:
    steps: list[dynamo.Step] = []
    for site, delta in ((old.get("delivery_site_id"), -1), (new.get("delivery_site_id"), +1)):
        if site and site != new["contact_id"]:
            steps += dependents.filed(tenant, site, "documents", delta)
    return steps


def delete(principal: Principal, document_id: str, expected_version: int) -> None:
    """A draft only: it has no number yet, so deleting it leaves no gap. A job's draft invoice frees
    the job in the same transaction (it can be invoiced again)."""
    tenant = principal.tenant
    old = get(tenant, document_id)
    _fresh(old, expected_version)
    lifecycle.check_draft(old, tr("deleted"))
    origin = old.get("origin") or {}
    freed = job_charges.unmark_invoiced(tenant, origin["id"], document_id) if origin.get("kind") == "job" else []
    repo.delete_document(tenant, old, expected_version, [*filed(tenant, old, -1), *indexed(tenant, old, -1), *freed])


COPIED = (
    "type",
    "contact_id",
    "delivery_site_id",
    "person_id",
    "origin",
    "currency",
    "reference",
    "notes",
    "operation",
    "custom_fields",
    "lines",
    "taxes",
)


def duplicate(principal: Principal, document_id: str) -> dict:
    """A new draft with the same parties and lines (not the number, dates, status or payments)."""
    tenant = principal.tenant
    try:
        old = get(tenant, document_id)
    except NotFound:
        raise invalid("document_id", tr("is not a document of this account")) from None
    if old["type"] == "credit_note":
        raise Conflict(tr("a credit note is made from its invoice (POST /documents/credit-notes), not duplicated"))
    now = clock.iso(clock.now())
    copy = {k: old[k] for k in COPIED if k in old}
    copy |= {"id": ids.new_id(), "version": 1, "status": "draft", "created_at": now, "updated_at": now, "created_by": principal.actor}
    copy |= {"net": old["net"], "tax": old["tax"], "gross": old["gross"], "duplicated_from": old["id"]}
    return _insert(tenant, copy)


def credit_note(principal: Principal, request: CreditNoteRequest) -> dict:
    """A draft credit note of an issued invoice, whole or some of its lines (by index), naming it."""
    tenant, invoice_id = principal.tenant, request.invoice_id
    try:
        invoice = get(tenant, invoice_id)
    except NotFound:
        raise invalid("invoice_id", tr("is not a document of this account")) from None
    if invoice["type"] != "invoice":
        raise Conflict(tr("only an invoice is credited"))
    lifecycle.check_issued(invoice)
    chosen = list(dict.fromkeys(request.lines)) if request.lines is not None else list(range(len(invoice["lines"])))
    unknown = [i for i in chosen if i >= len(invoice["lines"])]
    if unknown:
        raise invalid("lines", tr("the invoice has no line {indexes}", indexes=", ".join(str(i) for i in unknown)))
    credited = [invoice["lines"][i] for i in chosen]
    now = clock.iso(clock.now())
    kept = ("contact_id", "delivery_site_id", "person_id", "currency", "reference", "delivery_date", "operation")
    note = {k: invoice[k] for k in kept if k in invoice}
    note |= {"id": ids.new_id(), "version": 1, "type": "credit_note", "status": "draft", "credited_invoice_id": invoice_id}
    note |= {"lines": credited, **lines.priced(credited), "created_at": now, "updated_at": now, "created_by": principal.actor}
    if note["gross"] > invoice["gross"] - invoice.get("credited", 0):
        raise invalid("lines", tr("more than what is left to credit on the invoice"))
    return _insert(tenant, note)


def settle(invoice: dict, *, paid: int, credited: int) -> dict:
    """The invoice with what is paid and credited, what is left due, and its payment status."""
    due = invoice["gross"] - paid - credited
    status = payment_status(invoice["gross"], paid, credited)
    return {**invoice, "paid": paid, "credited": credited, "due": due, "payment_status": status, "version": invoice["version"] + 1}


# ---------------------------------------------------------------- marks


def mark(principal: Principal, document_id: str, to: str, expected_version: int) -> dict:
    """Mark sent (sent by other means), accepted (a quote) or rejected (after sent), timestamped."""
    tenant = principal.tenant
    old = get(tenant, document_id)
    _fresh(old, expected_version)
    lifecycle.check_move(old["type"], old["status"], to)
    at = clock.iso(clock.now())
    new = {**old, "status": to, f"{to}_at": at, "version": old["version"] + 1, "updated_at": at}
    repo.save_document(tenant, new, expected_version)
    return new
