"""Sales API: the set-up (stages, probabilities, tags), opportunities, their notes, the pipeline and
the export of a selection.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.models import Note, NoteCreated, NoteFields
from crm.contacts.readers import reader_locale
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import Limit
from crm.sales import documents, exports, service, setup
from crm.sales.models import (
    MAX_VALUE,
    AcceptedQuote,
    DocumentLinkRequest,
    JobAssignment,
    Opportunity,
    OpportunityDocument,
    OpportunityFields,
    OpportunityPatch,
    OpportunityTagList,
    OpportunityTags,
    Pipeline,
    Probabilities,
    ProbabilityList,
    QuoteAcceptance,
    StageList,
    Stages,
    Status,
)
from crm.sales.rules import Selection

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.ATTACHMENTS_BUCKET,
    settings.ALERTS_FUNCTION_ARN,
    settings.SCHEDULER_ROLE_ARN,
    settings.SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
)

api = Api("sales", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=4096)]
IdParam = Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Value = Annotated[int | None, Query(ge=0, le=MAX_VALUE)]
NOT_SET_UP = "no stage or no probability is set up yet (the problem says which)"


def _tenant() -> str:
    return api.principal().tenant


# ---------------------------------------------------------------- set-up (admin)


def _list(kind: str):
    found = setup.get(_tenant(), kind)
    return respond(found, version=found.version)


def _replace(kind: str, entries: list):
    saved = setup.replace(_tenant(), kind, entries, api.version())
    return respond(saved, version=saved.version)


USED = ("a removed entry is still used by opportunities",)


@api.route("GET", "/sales/stages", roles=STAFF, returns=Stages)
def get_stages():
    return _list("stages")


@api.route("PUT", "/sales/stages", roles=ADMINS, returns=Stages, if_match="required", conflicts=USED)
def put_stages(body: StageList):
    return _replace("stages", body.entries)


@api.route("GET", "/sales/probabilities", roles=STAFF, returns=Probabilities)
def get_probabilities():
    return _list("probabilities")


@api.route("PUT", "/sales/probabilities", roles=ADMINS, returns=Probabilities, if_match="required", conflicts=USED)
def put_probabilities(body: ProbabilityList):
    return _replace("probabilities", body.entries)


@api.route("GET", "/sales/tags", roles=STAFF, returns=OpportunityTags)
def get_tags():
    return _list("tags")


@api.route("PUT", "/sales/tags", roles=ADMINS, returns=OpportunityTags, if_match="required", conflicts=USED)
def put_tags(body: OpportunityTagList):
    return _replace("tags", body.entries)


# ---------------------------------------------------------------- opportunities


def _selection(
    status: Status | None,
    stage_id: str | None,
    probability_id: str | None,
    owner: str | None,
    tag: str | None,
    contact_id: str | None,
    due_from: date | None,
    due_to: date | None,
    value_min: int | None,
    value_max: int | None,
    custom_field: str | None,
) -> Selection:
    return Selection(
        status=status,
        stage_id=stage_id,
        probability_id=probability_id,
        owner=owner.lower() if owner else None,
        tag=tag,
        contact_id=contact_id,
        due_from=due_from.isoformat() if due_from else None,
        due_to=due_to.isoformat() if due_to else None,
        value_min=value_min,
        value_max=value_max,
        custom_field=(custom_field.partition(":")[0], custom_field.partition(":")[2]) if custom_field else None,
    )


CustomField = Annotated[
    str | None,
    Query(
        max_length=300,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,19}:.+$",
        description="key:value, an answer to an opportunity custom field (an option id for a choice, true or false)",
    ),
]
Owner = Annotated[str | None, Query(max_length=254, description="The owner's email")]
Due = Annotated[date | None, Query(description="ISO 8601 date")]


@api.route("GET", "/opportunities", roles=STAFF)
def list_opportunities(
    status: Annotated[Status | None, Query(description="Without any indexed filter (contact, tag, owner, stage): open")] = None,
    stage_id: IdParam = None,
    probability_id: IdParam = None,
    owner: Owner = None,
    tag: IdParam = None,
    contact_id: IdParam = None,
    due_from: Due = None,
    due_to: Due = None,
    value_min: Value = None,
    value_max: Value = None,
    custom_field: CustomField = None,
    reference: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Opportunity]:
    selection = _selection(status, stage_id, probability_id, owner, tag, contact_id, due_from, due_to, value_min, value_max, custom_field)
    items, next_cursor = service.find(_tenant(), selection, reference, limit=limit, cursor=cursor)
    return Page(items=[Opportunity.model_validate(o) for o in items], next_cursor=next_cursor)


@api.route("POST", "/opportunities", roles=STAFF, returns=Opportunity, location="/opportunities/{opportunity_id}", conflicts=(NOT_SET_UP,))
def create_opportunity(body: OpportunityFields):
    created = service.create(api.principal(), body)
    return respond(Opportunity.model_validate(created), 201, created["version"])


@api.route("GET", "/opportunities/pipeline", roles=STAFF, returns=Pipeline)
def pipeline():
    return service.pipeline(_tenant())


@api.route("GET", "/opportunities/export", roles=STAFF, returns=exports.SelectionExport)
def export_opportunities(
    format: Literal["csv", "xlsx"] = "xlsx",
    status: Status | None = None,
    stage_id: IdParam = None,
    probability_id: IdParam = None,
    owner: Owner = None,
    tag: IdParam = None,
    contact_id: IdParam = None,
    due_from: Due = None,
    due_to: Due = None,
    value_min: Value = None,
    value_max: Value = None,
    custom_field: CustomField = None,
    cursor: Cursor = None,
):
    selection = _selection(status, stage_id, probability_id, owner, tag, contact_id, due_from, due_to, value_min, value_max, custom_field)
    return exports.export(api.principal(), selection, format, cursor)


@api.route("GET", "/opportunities/{opportunity_id}", roles=STAFF, returns=Opportunity)
def get_opportunity(opportunity_id: str):
    found = service.get(_tenant(), opportunity_id)
    return respond(Opportunity.model_validate(found), version=found["version"])


@api.route("PATCH", "/opportunities/{opportunity_id}", roles=STAFF, returns=Opportunity, if_match="required", conflicts=(NOT_SET_UP,))
def update_opportunity(opportunity_id: str, body: OpportunityPatch):
    updated = service.update(api.principal(), opportunity_id, body, api.version())
    return respond(Opportunity.model_validate(updated), version=updated["version"])


@api.route("GET", "/opportunities/{opportunity_id}/notes", roles=STAFF)
def list_notes(opportunity_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Note]:
    return service.list_notes(_tenant(), opportunity_id, limit=limit, cursor=cursor)


@api.route(
    "POST",
    "/opportunities/{opportunity_id}/notes",
    roles=STAFF,
    returns=NoteCreated,
    location="/opportunities/{opportunity_id}/notes/{note_id}",
)
def create_note(opportunity_id: str, body: NoteFields):
    return respond(service.create_note(api.principal(), opportunity_id, body), 201)


@api.route("GET", "/opportunities/{opportunity_id}/notes/{note_id}", roles=STAFF, returns=Note)
def get_note(opportunity_id: str, note_id: str):
    return service.get_note(_tenant(), opportunity_id, note_id)


# ---------------------------------------------------------------- documents (for good: no unlinking)

DOCUMENT = "/opportunities/{opportunity_id}/documents/{document_id}"


def _linked(view: dict):
    return respond(OpportunityDocument.model_validate(view), version=view["document_version"])


@api.route("GET", "/opportunities/{opportunity_id}/documents", roles=STAFF)
def list_documents(
    opportunity_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[OpportunityDocument]:
    """The opportunity's documents tab, newest first."""
    items, next_cursor = documents.page(_tenant(), opportunity_id, limit=limit, cursor=cursor)
    return Page(items=[OpportunityDocument.model_validate(d) for d in items], next_cursor=next_cursor)


@api.route(
    "POST",
    "/opportunities/{opportunity_id}/documents",
    roles=STAFF,
    returns=OpportunityDocument,
    location=DOCUMENT,
    conflicts=("the document is already linked to an opportunity",),
)
def link_document(opportunity_id: str, body: DocumentLinkRequest):
    """A document made from the opportunity, or one of its contact's linked to it (a note says so)."""
    view = documents.link(api.principal(), opportunity_id, body)
    location = DOCUMENT.format(opportunity_id=opportunity_id, document_id=view["document_id"])
    return respond(OpportunityDocument.model_validate(view), 201, view["document_version"], {"Location": location})


@api.route("GET", DOCUMENT, roles=STAFF, returns=OpportunityDocument)
def get_document(opportunity_id: str, document_id: str):
    """A document of the opportunity; its ETag is the document's version."""
    return _linked(documents.get(_tenant(), opportunity_id, document_id))


@api.route(
    "POST",
    DOCUMENT + "/job",
    roles=STAFF,
    returns=OpportunityDocument,
    conflicts=("not a quote, a draft, already assigned, or the job's lines are final",),
)
def assign_job(opportunity_id: str, document_id: str, body: JobAssignment):
    """Assign a quote to a job: an existing one by reference, or a new job to schedule with its lines."""
    return _linked(documents.assign_job(api.principal(), opportunity_id, document_id, body))


@api.route(
    "POST",
    DOCUMENT + "/accept",
    roles=STAFF,
    returns=AcceptedQuote,
    if_match="required",
    etag_of=DOCUMENT,
    conflicts=("not a quote, or it cannot be accepted from its status",),
)
def accept_quote(opportunity_id: str, document_id: str, body: QuoteAcceptance):
    """Accept a quote (If-Match: the document's version) and, if asked, mark the opportunity won."""
    view, opportunity = documents.accept(api.principal(), opportunity_id, document_id, body.mark_won, api.version())
    answer = AcceptedQuote(document=OpportunityDocument.model_validate(view), opportunity=opportunity)
    return respond(answer, version=view["document_version"])


handler = api.handler()
