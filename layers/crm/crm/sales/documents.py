"""Documents of an opportunity (its documents tab): a financial document made from it, or an
existing one of its contact linked to it, for good (no unlinking); each link writes a note on the
opportunity in the same transaction. From a quote: "assign to a job" (an existing job by its
reference, or a new one to schedule with the quote's lines as its chargeable lines), and its
acceptance, which may mark the opportunity won (the user's choice).

Sales sits above finance and jobs: it calls their services; they know nothing of opportunities.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from crm.contacts import notes, readers
from crm.contacts import service as contacts
from crm.contacts.models import NoteTopic
from crm.finance import service as finance
from crm.jobs import charges
from crm.jobs import service as jobs
from crm.jobs.money_models import ChargeLine
from crm.platform import clock, dynamo, idempotency
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, Invalid, NotFound, invalid, invalid_fields
from crm.platform.i18n import Message, tr
from crm.sales import repository as repo
from crm.sales import rules, service
from crm.sales.models import DocumentLinkRequest, JobAssignment, OpportunityPatch

ORIGIN = "opportunity"  # a document's origin kind when it is made from an opportunity
ASSIGNMENT_LEASE_S = 60
MAX_JOB_LINES = 100  # a job's chargeable lines
KINDS = {"quote": tr("Quote"), "invoice": tr("Invoice"), "credit_note": tr("Credit note"), "purchase_order": tr("Purchase order")}


@contextmanager
def _named_under(prefix: str) -> Iterator[None]:
    """A 422 of a service below, its fields named as this request's body names them."""
    try:
        yield
    except Invalid as e:
        raise invalid_fields([FieldError(f"{prefix}.{error.field}", error.message) for error in e.errors]) from None


def _view(link: dict, document: dict) -> dict:
    keep = ("type", "status", "number", "issue_date", "currency", "net", "gross")
    return {**link, **{k: document.get(k) for k in keep}, "document_version": document["version"]}


def _document(tenant: str, document_id: str) -> dict:
    try:
        return finance.get(tenant, document_id)
    except NotFound:
        raise invalid("document_id", tr("is not a document of this account")) from None


def _note_text(tenant: str, document: dict, made_here: bool) -> str:
    """The note's text, in the account's language (a note is stored as written)."""
    kind, number = KINDS[document["type"]], document.get("number") or tr("(draft)")
    said: Message = (
        tr("Made from this opportunity: {kind} {number}", kind=kind, number=number)
        if made_here
        else tr("Linked to this opportunity: {kind} {number}", kind=kind, number=number)
    )
    return readers.account_reader(tenant).text(said)


def _link_and_note(principal: Principal, opportunity: dict, document: dict, *, made_here: bool) -> tuple[dict, list[dynamo.Step]]:
    contact = contacts.get(principal.tenant, opportunity["contact_id"])
    topic = NoteTopic(kind="opportunity", id=opportunity["id"])
    text = _note_text(principal.tenant, document, made_here)
    note, note_steps = notes.written_with(principal, contact, text, topic, contact_checked=made_here)
    link = {
        "document_id": document["id"],
        "opportunity_id": opportunity["id"],
        "made_here": made_here,
        "linked_at": note.created_at,
        "linked_by": principal.actor,
        "note_id": note.id,
    }
    return link, note_steps


def link(principal: Principal, opportunity_id: str, request: DocumentLinkRequest) -> dict:
    """A new document made from the opportunity (for its contact), or an existing document of its
    contact linked to it; either way with its note, in one transaction."""
    tenant = principal.tenant
    opportunity = service.get(tenant, opportunity_id)
    if request.document is not None:
        fields = request.document.model_dump(mode="json", exclude_unset=True)
        if fields.get("contact_id") not in (None, opportunity["contact_id"]):
            raise invalid("document.contact_id", tr("must be the opportunity's contact (or left out)"))
        made: dict = {}

        def also(document: dict) -> list[dynamo.Step]:
            made["link"], note_steps = _link_and_note(principal, opportunity, document, made_here=True)
            return [*repo.link_steps(tenant, made["link"]), *note_steps]

        origin = {"kind": ORIGIN, "id": opportunity_id}
        with _named_under("document"):
            document = finance.create_document(principal, {**fields, "contact_id": opportunity["contact_id"]}, origin, also)
        return _view(made["link"], document)
    assert request.document_id is not None
    document = _document(tenant, request.document_id)
    if document["contact_id"] != opportunity["contact_id"]:
        raise invalid("document_id", tr("is a document of another contact than the opportunity's"))
    if repo.linked_to(tenant, document["id"]) is not None:
        raise Conflict(tr("this document is already linked to an opportunity, for good"))
    made_link, note_steps = _link_and_note(principal, opportunity, document, made_here=False)
    repo.save_link(tenant, made_link, note_steps, idempotency.claim(document["id"]))
    return _view(made_link, document)


def _link(tenant: str, opportunity_id: str, document_id: str) -> dict:
    service.get(tenant, opportunity_id)
    found = repo.get_link(tenant, opportunity_id, document_id)
    if found is None:
        raise NotFound(tr("no such document on this opportunity"))
    return found


def get(tenant: str, opportunity_id: str, document_id: str) -> dict:
    found = _link(tenant, opportunity_id, document_id)
    return _view(found, finance.get(tenant, document_id))


def page(tenant: str, opportunity_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The documents tab: newest first, each as the document reads now (status, number, totals)."""
    service.get(tenant, opportunity_id)
    found, next_cursor = repo.links(tenant, opportunity_id, limit=limit, cursor=cursor)
    # A draft made here may since have been deleted in finance (it had no number): it is left out.
    current = [(link, finance.lookup(tenant, link["document_id"])) for link in found]
    return [_view(link, document) for link, document in current if document is not None], next_cursor


# ---------------------------------------------------------------- quotes: a job, acceptance


def _quote(tenant: str, opportunity_id: str, document_id: str) -> tuple[dict, dict]:
    found = _link(tenant, opportunity_id, document_id)
    document = finance.get(tenant, document_id)
    if document["type"] != "quote":
        raise Conflict(tr("only a quote is assigned to a job or accepted here"))
    return found, document


def _lines_of(quote: dict) -> list[dict]:
    return [c for c in (rules.charge_line(line) for line in quote["lines"]) if c is not None]


def _existing_job(principal: Principal, reference: str, lines: list[dict]) -> dict:
    found, _ = jobs.find(principal, status=None, reference=reference, limit=1, cursor=None)
    if not found:
        raise invalid("job_reference", tr("no job has this reference"))
    job = found[0]
    current = charges.lines(principal, job["id"])
    kept = [{k: v for k, v in line.items() if k != "net" and v is not None} for line in current["lines"]]
    if len(kept) + len(lines) > MAX_JOB_LINES:
        raise Conflict(tr("the job would have more than {most} chargeable lines", most=MAX_JOB_LINES))
    with _named_under("quote"):
        new_lines = [ChargeLine.model_validate(line) for line in [*kept, *lines]]
    charges.replace_lines(principal, job["id"], new_lines, current["version"])
    return job


def _new_job(principal: Principal, opportunity: dict, quote: dict, assignment: JobAssignment, lines: list[dict]) -> dict:
    assert assignment.job is not None
    description = assignment.job.description or f"{quote.get('number') or ''} {opportunity['subject']}".strip()
    fields = {
        "contact_id": quote.get("delivery_site_id") or quote["contact_id"],
        "job_type_id": assignment.job.job_type_id,
        "description": description,
        "charges": lines,
    }
    # The job is this request's step, not what it creates: the quote's link records it (no claim).
    with idempotency.on_the_way(), _named_under("job"):
        return jobs.create_job(principal, fields)


def assign_job(principal: Principal, opportunity_id: str, document_id: str, assignment: JobAssignment) -> dict:
    """The quote to a job, once: held while it runs (a second assignment at once is a 409), then
    recorded on the link; a failure frees it."""
    tenant = principal.tenant
    opportunity = service.get(tenant, opportunity_id)
    found, quote = _quote(tenant, opportunity_id, document_id)
    if found.get("job_id"):
        raise Conflict(tr("this quote is already assigned to job {reference}", reference=found.get("job_reference")))
    if quote["status"] == "draft":
        raise Conflict(tr("the quote is a draft: issue it first"))
    lines = _lines_of(quote)
    repo.hold_assignment(tenant, opportunity_id, document_id, int(clock.now().timestamp()), ASSIGNMENT_LEASE_S)
    try:
        if assignment.job_reference is not None:
            job = _existing_job(principal, assignment.job_reference, lines)
        else:
            job = _new_job(principal, opportunity, quote, assignment, lines)
    except Exception:
        repo.assigned(tenant, opportunity_id, document_id, None)
        raise
    repo.assigned(tenant, opportunity_id, document_id, job)
    return _view({**found, "job_id": job["id"], "job_reference": job["reference"]}, quote)


def accept(principal: Principal, opportunity_id: str, document_id: str, mark_won: bool, expected_version: int) -> tuple[dict, dict]:
    """Mark the quote accepted (at `expected_version`: its If-Match) and, if the user chose so, the
    opportunity won. A retry after the quote was accepted goes on to the opportunity."""
    tenant = principal.tenant
    found, quote = _quote(tenant, opportunity_id, document_id)
    if quote["status"] != "accepted":
        quote = finance.mark(principal, document_id, "accepted", expected_version)
    opportunity = service.get(tenant, opportunity_id)
    if mark_won and opportunity["status"] != "won":
        opportunity = service.update(principal, opportunity_id, OpportunityPatch(status="won"), opportunity["version"])
    return _view(found, quote), opportunity
