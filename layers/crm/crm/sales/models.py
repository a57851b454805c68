"""Sales set-up (stages, probabilities, tags) and opportunities: what the API takes and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from crm.contacts.models import ContactFields
from crm.finance.models import CustomValues, DocumentFields
from crm.platform.i18n import tr
from crm.platform.types import STRICT, Email, Id, IsoDate, LongText, Text

Status = Literal["open", "on_hold", "won", "lost"]
MAX_SETUP_ENTRIES, MAX_TAGS = 50, 10
MAX_VALUE = 10**13  # minor units: 100 billion in a two-decimal currency


def _month(value: str) -> str:
    year, month = int(value[:4]), int(value[5:7])
    if not 2000 <= year <= 9999 or not 1 <= month <= 12:
        raise ValueError(tr("must be a month from 2000-01 to 9999-12, as YYYY-MM"))
    return value


# A close month, "2027-03": the projection's unit. Years past 9999 are refused by the pattern.
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$"), AfterValidator(_month)]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True)]
Money = Annotated[int, Field(ge=0, le=MAX_VALUE, description="Integer minor units of the account's currency")]


# ---------------------------------------------------------------- set-up


class StageEntry(BaseModel):
    model_config = STRICT
    id: Id | None = Field(default=None, description="Leave out for a new stage; keep it to keep the stage")
    name: Text


class ProbabilityEntry(BaseModel):
    model_config = STRICT
    id: Id | None = None
    label: Text = Field(examples=["Chaud", "25%"])
    percent: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="What it weighs in the projection; a label without one weighs 50 %"
    )


class OpportunityTagEntry(BaseModel):
    model_config = STRICT
    id: Id | None = None
    name: Text
    colour: Colour = Field(examples=["#e69f00"])


class StageList(BaseModel):
    model_config = STRICT
    entries: Annotated[list[StageEntry], Field(max_length=MAX_SETUP_ENTRIES)]


class ProbabilityList(BaseModel):
    model_config = STRICT
    entries: Annotated[list[ProbabilityEntry], Field(max_length=MAX_SETUP_ENTRIES)]


class OpportunityTagList(BaseModel):
    model_config = STRICT
    entries: Annotated[list[OpportunityTagEntry], Field(max_length=MAX_SETUP_ENTRIES)]


class Stage(BaseModel):
    id: str
    name: str


class Probability(BaseModel):
    id: str
    label: str
    percent: int | None = None
    weight: int = Field(description="The percentage the projection weighs it at (its percent, else 50)")


class OpportunityTag(BaseModel):
    id: str
    name: str
    colour: str


class Stages(BaseModel):
    entries: list[Stage]
    version: int


class Probabilities(BaseModel):
    entries: list[Probability]
    version: int


class OpportunityTags(BaseModel):
    entries: list[OpportunityTag]
    version: int


# ---------------------------------------------------------------- opportunities


class OpportunityRecord(BaseModel):
    """What a client writes on an opportunity (but its contact, fixed once created)."""

    model_config = STRICT
    subject: Text
    person_id: Id | None = Field(default=None, description="A person of the opportunity's contact")
    status: Status = "open"
    lost_reason: Text | None = Field(default=None, description="Why it was lost: required with status lost")
    due_date: IsoDate | None = None
    stage_id: Id
    probability_id: Id
    owner: Email | None = Field(default=None, description="The staff user who owns it (the creator unless said)")
    expected_value: Money = 0
    close_month: Month | None = Field(default=None, examples=["2027-03"], description="Expected close month, as YYYY-MM")
    tags: Annotated[list[Id], Field(max_length=MAX_TAGS)] = []
    custom_fields: CustomValues = Field(
        default={}, description="Answers to the opportunity custom fields (finance settings, kind opportunity), by key"
    )


class OpportunityFields(OpportunityRecord):
    contact_id: Id | None = Field(default=None, description="An existing contact (found by GET /contacts?q=)")
    new_contact: ContactFields | None = Field(default=None, description="Or a contact created on the spot, with the opportunity")

    @model_validator(mode="after")
    def _one_contact(self) -> OpportunityFields:
        if (self.contact_id is None) == (self.new_contact is None):
            raise ValueError(tr("give contact_id or new_contact, one of them"))
        return self


class OpportunityPatch(BaseModel):
    """A JSON merge patch of the opportunity: fields sent replace, null clears, fields left out stay."""

    model_config = STRICT
    subject: Text | None = None
    person_id: Id | None = None
    status: Status | None = None
    lost_reason: Text | None = None
    due_date: IsoDate | None = None
    stage_id: Id | None = None
    probability_id: Id | None = None
    owner: Email | None = None
    expected_value: Money | None = None
    close_month: Month | None = None
    tags: Annotated[list[Id], Field(max_length=MAX_TAGS)] | None = None
    custom_fields: CustomValues | None = Field(default=None, description="Replaces the answers as a whole")


class Opportunity(BaseModel):
    id: str
    reference: str = Field(examples=["OPP-000042"])
    contact_id: str
    person_id: str | None = None
    subject: str
    status: Status
    lost_reason: str | None = None
    due_date: date | None = None
    stage_id: str
    probability_id: str
    owner: str
    expected_value: int
    currency: str = Field(description="ISO 4217: the account's currency when the opportunity was created")
    close_month: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    closed_at: str | None = Field(default=None, description="When it was won or lost")
    created_at: str
    updated_at: str
    version: int


class StageTotal(BaseModel):
    stage_id: str
    name: str
    count: int
    value: int


class Pipeline(BaseModel):
    """Open opportunities by stage, in the stages' order."""

    currency: str
    stages: list[StageTotal]


# ---------------------------------------------------------------- documents of an opportunity


class NewDocument(DocumentFields):
    """A financial document made from the opportunity: for its contact."""

    contact_id: Id | None = Field(default=None, description="Leave out: the opportunity's contact")  # type: ignore[assignment]


class DocumentLinkRequest(BaseModel):
    model_config = STRICT
    document: NewDocument | None = Field(default=None, description="A new document (a quote...) made from the opportunity")
    document_id: Id | None = Field(default=None, description="Or an existing document of the opportunity's contact, linked to it")

    @model_validator(mode="after")
    def _one_document(self) -> DocumentLinkRequest:
        if (self.document is None) == (self.document_id is None):
            raise ValueError(tr("give document or document_id, one of them"))
        return self


class OpportunityDocument(BaseModel):
    """A document of the opportunity (its documents tab): linked for good."""

    document_id: str
    opportunity_id: str
    type: str
    status: str
    number: str | None = Field(default=None, description="None while it is a draft")
    issue_date: str | None = None
    currency: str
    net: int
    gross: int
    made_here: bool = Field(description="Made from the opportunity (else an existing document linked to it)")
    linked_at: str
    linked_by: str
    note_id: str = Field(description="The note the link wrote on the opportunity")
    job_id: str | None = Field(default=None, description="A quote: the job it was assigned to")
    job_reference: str | None = None


class NewJob(BaseModel):
    model_config = STRICT
    job_type_id: Id
    description: LongText | None = Field(default=None, description="Default: the quote's number and the opportunity's subject")


class JobAssignment(BaseModel):
    """Assign a quote to a job: an existing job (its chargeable lines get the quote's lines) or a new
    job to schedule at the quote's delivery site (else its contact) with the quote's lines."""

    model_config = STRICT
    job_reference: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, description="An existing job, by its reference"
    )
    job: NewJob | None = None

    @model_validator(mode="after")
    def _one_job(self) -> JobAssignment:
        if (self.job_reference is None) == (self.job is None):
            raise ValueError(tr("give job_reference or job, one of them"))
        return self


class QuoteAcceptance(BaseModel):
    model_config = STRICT
    mark_won: bool = Field(default=False, description="Mark the opportunity won as well")


class AcceptedQuote(BaseModel):
    document: OpportunityDocument
    opportunity: Opportunity
