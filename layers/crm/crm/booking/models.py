"""Pydantic shapes of the booking site: its configuration (office side) and what customers see."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator

from crm.platform.i18n import tr
from crm.platform.types import STRICT, Email, Id, IsoDate, LongText

# The columns a contact's job list may show, in the order the office chooses.
Column = Literal[
    "reference", "type", "site", "status", "planned_start", "planned_end", "preferred_date", "description", "created_at", "completed_at"
]
COLUMNS: tuple[str, ...] = Column.__args__  # type: ignore[attr-defined]
DEFAULT_COLUMNS: list[Column] = ["reference", "type", "site", "status", "planned_start"]

# Lower-case letters, digits and inner hyphens, 3-48 characters: safe in a URL path segment, and
# never the name of one of the site's own files (they all have a dot).
Slug = Annotated[str, StringConstraints(min_length=3, max_length=48, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])$")]


def _https(value: str) -> str:
    if not value.startswith("https://") or len(value) <= len("https://") or any(c.isspace() for c in value):
        raise ValueError(tr("must be an https:// URL"))
    return value


LogoUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_https)]


class BookingSiteFields(BaseModel):
    """What the office writes (PUT, whole): the site's address, look, offer and job list."""

    model_config = STRICT
    slug: Slug = Field(description="The site's address: <booking site URL>/<slug>; unique across every account")
    logo_url: LogoUrl | None = None
    job_type_ids: Annotated[list[Id], Field(min_length=1, max_length=50, description="The job types customers may request")]
    columns: Annotated[list[Column], Field(min_length=1, max_length=len(COLUMNS))] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    notify_email: Email = Field(description="The office address emailed when a customer requests a job")

    @field_validator("job_type_ids", "columns")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError(tr("lists each entry once"))
        return values


class BookingSite(BookingSiteFields):
    model_config = {}
    contact_id: str
    version: int
    url: str = Field(description="The page customers sign in to")
    updated_at: str


class Invitation(BaseModel):
    model_config = STRICT
    person_id: Id


class Invited(BaseModel):
    person_id: str
    email: str
    url: str
    resent: bool = Field(description="True when the person already had a login: a new temporary password was sent")


class PublicSite(BaseModel):
    """All an anonymous visitor learns from a slug."""

    company_name: str
    logo_url: str | None = None


class OptionItem(BaseModel):
    id: str
    name: str


class Options(BaseModel):
    job_types: list[OptionItem]
    sites: list[OptionItem] = Field(description="The customer's contact first, then its child sites")


class JobList(BaseModel):
    columns: list[str]
    items: list[dict[str, str | None]] = Field(description="One row per job: `id` and the configured columns only")
    next_cursor: str | None = None


class BookingRequest(BaseModel):
    model_config = STRICT
    job_type_id: Id
    site_id: Id
    preferred_date: IsoDate
    description: LongText


class CustomerJob(BaseModel):
    """One of the customer's jobs, as their site's job list shows it."""

    id: str
    reference: str | None = None
    status: str
    row: dict[str, str | None]


class Booked(CustomerJob):
    office_notified: bool = Field(True, description="False when the office's email could not be sent: the job is filed all the same")
