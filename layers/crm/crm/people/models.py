"""The person record, the tenant's tags, consent and GDPR exports (pydantic, at the HTTP edge)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from crm.platform.i18n import tr_n
from crm.platform.types import STRICT, Email, Id, LocaleTag, Phone, Text, merge_patch_of

ConsentStatus = Literal["given", "refused", "awaiting"]
ConsentMedium = Literal["email", "web", "phone", "paper"]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
TagName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
MAX_TAGS = 10
TagIds = Annotated[list[Id], Field(max_length=MAX_TAGS)]


# ---------------------------------------------------------------- tags


class TagFields(BaseModel):
    model_config = STRICT
    name: TagName
    colour: Colour


TagPatch = merge_patch_of(TagFields, "TagPatch")


class Tag(TagFields):
    id: str
    version: int
    person_count: int = 0


# ---------------------------------------------------------------- consent


class ConsentChange(BaseModel):
    model_config = STRICT
    status: ConsentStatus
    medium: ConsentMedium
    note: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None


class Consent(BaseModel):
    """A person's current consent; `awaiting` with no medium until someone records an answer."""

    status: ConsentStatus = "awaiting"
    medium: ConsentMedium | None = None
    changed_at: str | None = None
    changed_by: str | None = None


class ConsentEvent(BaseModel):
    """One line of the append-only consent history: who changed it, when and how."""

    id: str
    person_id: str
    status: ConsentStatus
    medium: ConsentMedium
    note: str | None = None
    changed_at: str
    changed_by: str


# ---------------------------------------------------------------- persons


class _Editable(BaseModel):
    model_config = STRICT
    job_title: Text | None = None
    mobile: Phone | None = None
    landline: Phone | None = None
    email: Email | None = None
    booking_site_access: bool | None = None
    receives_financial_documents: bool | None = None
    receives_marketing: bool | None = None
    tag_ids: TagIds | None = None
    locale: LocaleTag | None = Field(default=None, description="The person's language (BCP 47, e.g. fr-FR); null: the account's")


class PersonFields(_Editable):
    """What a client may write on a person; consent may be recorded with the creation."""

    name: Text
    booking_site_access: bool = False
    receives_financial_documents: bool = False
    receives_marketing: bool = False
    tag_ids: TagIds = []
    consent: ConsentChange | None = None

    @model_validator(mode="after")
    def _rules(self) -> PersonFields:
        self.tag_ids = list(dict.fromkeys(self.tag_ids))
        missing = [f for f in ("booking_site_access", "receives_marketing") if getattr(self, f) and not self.email]
        if missing:
            raise ValueError(
                tr_n("{fields} needs an email address", "{fields} need an email address", len(missing), fields=" and ".join(missing))
            )
        return self


class PersonPatch(_Editable):
    """A JSON merge patch: fields sent replace, null clears, fields left out stay. Consent changes
    go through POST /persons/{id}/consent so each one lands in the history."""

    name: Text | None = None


class Person(BaseModel):
    id: str
    contact_id: str
    version: int
    created_at: str
    updated_at: str
    name: str
    job_title: str | None = None
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    booking_site_access: bool = False
    receives_financial_documents: bool = False
    receives_marketing: bool = False
    tag_ids: list[str] = []
    locale: str | None = None
    consent: Consent = Consent()
    erased_at: str | None = None
    erased_by: str | None = None


# ---------------------------------------------------------------- GDPR


class ExportRequest(BaseModel):
    model_config = STRICT
    email_to: Email | None = None


class ExportLink(BaseModel):
    url: str
    expires_at: str
    emailed_to: str | None = None
