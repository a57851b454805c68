"""The contact record (the seed's "General" tab), groups, settings, notes, emails, attachments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from crm.contacts.geo import Location, PointCheck, Zone
from crm.contacts.hours import OpeningHours, WindowCheck
from crm.contacts.identity import IdentifierRules, Kind, VatNumber
from crm.platform.i18n import DEFAULT_LOCALE, tr
from crm.platform.i18n.formats import DEFAULT_CURRENCY, DEFAULT_TIME_ZONE
from crm.platform.identifiers import Siren, Siret
from crm.platform.types import STRICT, AwareDatetime, Currency, Email, Id, LocaleTag, LongText, Phone, Text, TimeZone, merge_patch_of

Reference = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/\-]*$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Address(BaseModel):
    model_config = STRICT
    line1: Text
    line2: Text | None = None
    city: Text | None = None
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None = None
    region: Text | None = None
    country: Country | None = None


class MainContact(BaseModel):
    model_config = STRICT
    name: Text
    email: Email | None = None


class OnSiteContact(BaseModel):
    model_config = STRICT
    name: Text
    phone: Phone | None = None
    address: Text | None = None


class ContactRecord(BaseModel):
    """The General tab's fields but the flag: what a client writes and what everyone reads."""

    name: Text
    group_id: Id
    reference: Reference | None = None
    address: Address | None = None
    location: Location | None = None
    zone: Zone | None = None
    main_contact: MainContact | None = None
    on_site_contact: OnSiteContact | None = None
    opening_hours: OpeningHours | None = None
    site_notes: LongText | None = None
    parent_id: Id | None = None
    # Its legal identity, last: IdentifierRules checks these against the fields before them.
    kind: Kind | None = Field(default=None, description="business or individual (B2B or B2C invoices); business when an identifier is set")
    country: Country | None = Field(default=None, description="Where it is established, ISO 3166-1 alpha-2; its address's when not set")
    siren: Siren | None = Field(default=None, description="French businesses only; taken from the SIRET or VAT number when not sent")
    siret: Siret | None = None
    vat_number: VatNumber | None = Field(default=None, description="VAT number with its country prefix, e.g. FR40303265045")


Flag = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ContactFields(ContactRecord, IdentifierRules):
    """What a client may write on a contact; everything else (id, tenant, version) is the server's."""

    model_config = STRICT
    flag: Flag | None = None

    @model_validator(mode="after")
    def _zone_needs_location(self) -> ContactFields:
        if self.zone is not None and self.location is None:
            raise ValueError(tr("a zone needs the site's location"))
        return self


ContactPatch = merge_patch_of(ContactFields, "ContactPatch")


class ContactView(ContactRecord):
    """A contact as a resource (technician) sees it: no flag."""

    id: str
    version: int
    created_at: str
    updated_at: str


class Contact(ContactView):
    """A contact as office staff see it."""

    flag: str | None


class ZoneQuery(BaseModel):
    model_config = STRICT
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ZoneAnswer(PointCheck):
    zone: Zone


MAX_WINDOW = timedelta(days=31)


class AvailabilityQuery(BaseModel):
    model_config = STRICT
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityQuery:
        if self.end <= self.start:
            raise ValueError(tr("end must be after start"))
        if self.end - self.start > MAX_WINDOW:
            raise ValueError(tr("a planned window spans at most {days} days", days=MAX_WINDOW.days))
        return self


class Availability(WindowCheck):
    always_open: bool


# ---------------------------------------------------------------- groups and settings


class GroupFields(BaseModel):
    model_config = STRICT
    name: Text


class Group(GroupFields):
    id: str
    version: int
    contact_count: int


JobReferencePrefix = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")]


class SettingsPatch(BaseModel):
    model_config = STRICT
    default_zone_radius_m: float | None = Field(default=None, gt=0, le=5000)
    job_reference_prefix: JobReferencePrefix | None = Field(default=None, description="Job references read <prefix>-000123")
    locale: LocaleTag | None = Field(default=None, description="The account's language and formats, a BCP 47 tag: fr-FR, en-GB")
    currency: Currency | None = Field(default=None, description="The account's currency, ISO 4217: EUR")
    time_zone: TimeZone | None = Field(default=None, description="Where the account's times are read, an IANA zone: Europe/Paris")


class Settings(BaseModel):
    version: int
    default_zone_radius_m: float
    job_reference_prefix: str = "JOB"
    locale: str = Field(DEFAULT_LOCALE, description="Every text for a reader with no locale of their own follows it")
    currency: str = DEFAULT_CURRENCY
    time_zone: str = DEFAULT_TIME_ZONE


# ---------------------------------------------------------------- a staff user's own profile


class ProfileFields(BaseModel):
    model_config = STRICT
    locale: LocaleTag | None = Field(default=None, description="Your language and formats; null: the account's")
    time_zone: TimeZone | None = Field(default=None, description="Where your times are read; null: the account's")


ProfilePatch = merge_patch_of(ProfileFields, "ProfilePatch")


class Reading(BaseModel):
    """How texts reach a reader: the locale, time zone and currency in effect."""

    locale: str
    time_zone: str
    currency: str


class Profile(ProfileFields):
    email: str
    role: str
    version: int = Field(description='0 until the first PATCH /me (send If-Match: "0")')
    reads_in: Reading = Field(description="Your own settings where you have some, else the account's")


# ---------------------------------------------------------------- notes and the email archive


class NoteFields(BaseModel):
    model_config = STRICT
    text: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    alert_at: AwareDatetime | None = None
    alert_to: Annotated[list[Email], Field(min_length=1, max_length=20)] | None = None

    @model_validator(mode="after")
    def _recipients_need_alert(self) -> NoteFields:
        if self.alert_to and self.alert_at is None:
            raise ValueError(tr("alert_to needs alert_at"))
        return self


class NoteTopic(BaseModel):
    """What a note is about, besides its contact: a record filed under the contact."""

    kind: Literal["opportunity"]
    id: str


class Note(BaseModel):
    id: str
    contact_id: str
    topic: NoteTopic | None = Field(default=None, description="What the note is about besides its contact (an opportunity)")
    text: str
    author: str
    created_at: str
    alert_at: str | None = None
    alert_to: list[str] | None = None
    alert_status: Literal["pending", "sent", "cancelled"] | None = None


class NoteCreated(Note):
    flag: str | None = Field(default=None, description="The contact's flag, shown when a note is created for it.")


class ArchivedAttachment(BaseModel):
    filename: str
    content_type: str
    size: int
    s3_key: str | None = Field(default=None, description="Where the file is kept, when it is; the archive never holds the bytes")


class ArchivedEmail(BaseModel):
    id: str
    contact_id: str | None = Field(default=None, description="The contact the email concerns; null for an email filed on the account")
    kind: str = Field(description="What it is: note_alert, booking_invitation, booking_request, gdpr_export, ...")
    to: list[str]
    subject: str
    sent_at: str
    message_id: str | None = None
    related_id: str | None = Field(default=None, description="What it is about: a note, a job, a person, a document")
    attachments: list[ArchivedAttachment] = []


# ---------------------------------------------------------------- attachments


AttachmentCategory = Literal["image", "financial", "other"]


class AttachmentRequest(BaseModel):
    model_config = STRICT
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")]
    content_type: str
    size: int = Field(gt=0)
    category: AttachmentCategory | None = Field(
        default=None, description="Where the folder files it; images by default for image types, else other."
    )


class Upload(BaseModel):
    url: str
    fields: dict[str, str]
    expires_at: str


class AttachmentTicket(BaseModel):
    id: str
    filename: str
    category: AttachmentCategory
    upload: Upload


class Attachment(BaseModel):
    """An uploaded file; its download link comes from GET .../attachments/{id}/download (recorded
    in the audit trail)."""

    id: str
    filename: str
    category: AttachmentCategory
    size: int
    uploaded_at: datetime


class AttachmentDownload(BaseModel):
    id: str
    filename: str
    url: str
    expires_at: str


class FolderEntry(BaseModel):
    """One thing filed on a contact; exactly one of attachment, note, email is set."""

    kind: Literal["attachment", "note", "email"]
    id: str
    filed_at: datetime
    attachment: Attachment | None = None
    note: Note | None = None
    email: ArchivedEmail | None = None
