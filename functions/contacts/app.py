"""Contacts API: the contact record, groups, settings, notes, attachments and the email archive.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts import attachments, folder, groups, legal, notes, readers, service
from crm.contacts.legal import LegalIdentity, LegalIdentityFields
from crm.contacts.models import (
    ArchivedEmail,
    Attachment,
    AttachmentDownload,
    AttachmentRequest,
    AttachmentTicket,
    Availability,
    AvailabilityQuery,
    Contact,
    ContactFields,
    ContactPatch,
    ContactView,
    FolderEntry,
    Group,
    GroupFields,
    Note,
    NoteCreated,
    NoteFields,
    Profile,
    ProfilePatch,
    Settings,
    SettingsPatch,
    ZoneAnswer,
    ZoneQuery,
)
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF, STAFF_AND_RESOURCES
from crm.platform.http import Api, respond
from crm.platform.identifiers import PrefixedVatNumber, Siren
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import Limit

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.ATTACHMENTS_BUCKET,
    settings.ALERTS_FUNCTION_ARN,
    settings.SCHEDULER_ROLE_ARN,
    settings.SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
    settings.EVENT_BUS_NAME,
)
api = Api("contacts", reader_locale=readers.reader_locale)
app = api.app
ContactOut = Contact | ContactView
Cursor = Annotated[str | None, Query(max_length=2048)]


def _contact(contact_id: str) -> dict:
    return service.get(api.principal().tenant, contact_id)


# ---------------------------------------------------------------- contacts


@api.route("GET", "/contacts", roles=STAFF_AND_RESOURCES)
def list_contacts(
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Prefix of name, reference, postcode, city, phone or email")
    ] = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
    group_id: Annotated[str | None, Query(max_length=26)] = None,
    parent_id: Annotated[str | None, Query(max_length=26)] = None,
    siren: Annotated[Siren | None, Query(description="Contacts with this SIREN (a company's sites share it)")] = None,
    vat_number: Annotated[
        PrefixedVatNumber | None, Query(description="Contacts with this VAT number (a French one: those with its SIREN)")
    ] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ContactOut]:
    principal = api.principal()
    items, next_cursor = service.find(
        principal,
        q=q,
        reference=reference,
        group_id=group_id,
        parent_id=parent_id,
        siren=siren,
        vat_number=vat_number,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[service.view(c, principal) for c in items], next_cursor=next_cursor)


PARENT_CHANGED = "a parent link would make a cycle, or a parent changed meanwhile"
REFERENCE_TAKEN = "the accounting reference is another contact's"


@api.route(
    "POST", "/contacts", roles=STAFF, returns=Contact, location="/contacts/{contact_id}", conflicts=(REFERENCE_TAKEN, PARENT_CHANGED)
)
def create_contact(body: ContactFields):
    contact = service.create(api.principal(), body)
    return respond(service.view(contact, api.principal()), 201, contact["version"])


@api.route("GET", "/contacts/{contact_id}", roles=STAFF_AND_RESOURCES, returns=ContactOut)
def get_contact(contact_id: str):
    contact = _contact(contact_id)
    return respond(service.view(contact, api.principal()), version=contact["version"])


@api.route(
    "PATCH", "/contacts/{contact_id}", roles=STAFF, returns=Contact, if_match="required", conflicts=(REFERENCE_TAKEN, PARENT_CHANGED)
)
def update_contact(contact_id: str, body: ContactPatch):
    contact = service.update(api.principal(), contact_id, body, api.version())
    return respond(service.view(contact, api.principal()), version=contact["version"])


@api.route(
    "DELETE",
    "/contacts/{contact_id}",
    roles=STAFF,
    if_match="required",
    conflicts=("it still has child contacts, persons, jobs or financial documents",),
)
def delete_contact(contact_id: str):
    service.delete(api.principal(), contact_id, api.version())
    return respond(None, 204)


@api.route("GET", "/contacts/{contact_id}/children", roles=STAFF_AND_RESOURCES)
def list_children(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ContactOut]:
    principal = api.principal()
    _contact(contact_id)
    items, next_cursor = service.find(principal, q=None, reference=None, group_id=None, parent_id=contact_id, limit=limit, cursor=cursor)
    return Page(items=[service.view(c, principal) for c in items], next_cursor=next_cursor)


@api.route("GET", "/contacts/{contact_id}/zone", roles=STAFF_AND_RESOURCES, conflicts=("the contact has no location",))
def check_zone(contact_id: str, lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)]) -> ZoneAnswer:
    return service.zone_check(api.principal().tenant, contact_id, ZoneQuery(lat=lat, lon=lon))


@api.route("POST", "/contacts/{contact_id}/availability", roles=STAFF)
def check_availability(contact_id: str, body: AvailabilityQuery) -> Availability:
    return service.availability(api.principal().tenant, contact_id, body)


# ---------------------------------------------------------------- notes, emails, attachments


@api.route("GET", "/contacts/{contact_id}/notes", roles=STAFF)
def list_notes(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Note]:
    return notes.list_notes(api.principal().tenant, contact_id, limit=limit, cursor=cursor)


@api.route("POST", "/contacts/{contact_id}/notes", roles=STAFF, returns=NoteCreated, location="/contacts/{contact_id}/notes/{note_id}")
def create_note(contact_id: str, body: NoteFields):
    return respond(notes.create(api.principal(), contact_id, body), 201)


@api.route("GET", "/contacts/{contact_id}/notes/{note_id}", roles=STAFF)
def get_note(contact_id: str, note_id: str) -> Note:
    return notes.get(api.principal().tenant, contact_id, note_id)


@api.route("GET", "/contacts/{contact_id}/emails", roles=STAFF)
def list_emails(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ArchivedEmail]:
    return service.archived_emails(api.principal().tenant, contact_id, limit=limit, cursor=cursor)


@api.route("GET", "/emails", roles=STAFF)
def list_account_emails(limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ArchivedEmail]:
    """Emails that concern no contact (e.g. a summary sent to the office)."""
    return service.archived_emails(api.principal().tenant, None, limit=limit, cursor=cursor)


@api.route("GET", "/contacts/{contact_id}/attachments", roles=STAFF)
def list_attachments(contact_id: str) -> Page[Attachment]:
    _contact(contact_id)
    return Page(items=attachments.list_attachments(api.principal().tenant, contact_id))


@api.route("POST", "/contacts/{contact_id}/attachments", roles=STAFF, returns=AttachmentTicket, status=201)
def create_attachment(contact_id: str, body: AttachmentRequest):
    _contact(contact_id)
    return respond(attachments.request_upload(api.principal().tenant, contact_id, body), 201)


@api.route("GET", "/contacts/{contact_id}/attachments/{attachment_id}/download", roles=STAFF)
def download_attachment(contact_id: str, attachment_id: str) -> AttachmentDownload:
    _contact(contact_id)
    return attachments.download(api.principal(), contact_id, attachment_id)


@api.route("DELETE", "/contacts/{contact_id}/attachments/{attachment_id}", roles=STAFF)
def delete_attachment(contact_id: str, attachment_id: str):
    _contact(contact_id)
    attachments.delete(api.principal().tenant, contact_id, attachment_id)
    return respond(None, 204)


@api.route("GET", "/contacts/{contact_id}/folder", roles=STAFF)
def list_folder(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[FolderEntry]:
    tenant = api.principal().tenant
    _contact(contact_id)
    items, next_cursor = folder.list_folder(tenant, contact_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# ---------------------------------------------------------------- groups and settings (admin)


@api.route("GET", "/contact-groups", roles=STAFF_AND_RESOURCES)
def list_groups() -> Page[Group]:
    return Page(items=groups.groups(api.principal().tenant))


GROUP_NAME_TAKEN = "another group has this name"


@api.route("POST", "/contact-groups", roles=ADMINS, returns=Group, location="/contact-groups/{group_id}", conflicts=(GROUP_NAME_TAKEN,))
def create_group(body: GroupFields):
    group = groups.create_group(api.principal().tenant, body)
    return respond(group, 201, group.version)


@api.route("GET", "/contact-groups/{group_id}", roles=STAFF_AND_RESOURCES, returns=Group)
def get_group(group_id: str):
    group = groups.group(api.principal().tenant, group_id)
    return respond(group, version=group.version)


@api.route("PATCH", "/contact-groups/{group_id}", roles=ADMINS, returns=Group, if_match="required", conflicts=(GROUP_NAME_TAKEN,))
def rename_group(group_id: str, body: GroupFields):
    group = groups.rename_group(api.principal().tenant, group_id, body, api.version())
    return respond(group, version=group.version)


@api.route("DELETE", "/contact-groups/{group_id}", roles=ADMINS, if_match="required", conflicts=("contacts are still in the group",))
def retire_group(group_id: str):
    groups.retire_group(api.principal().tenant, group_id, api.version())
    return respond(None, 204)


@api.route("GET", "/settings", roles=STAFF, returns=Settings)
def get_settings():
    current = service.settings(api.principal().tenant)
    return respond(current, version=current.version)


@api.route("PATCH", "/settings", roles=ADMINS, returns=Settings, if_match="required")
def update_settings(body: SettingsPatch):
    current = service.update_settings(api.principal(), body, api.version())
    return respond(current, version=current.version)


@api.route("GET", "/settings/legal", roles=STAFF, returns=LegalIdentity)
def get_legal_identity():
    """The account's legal identity: what its invoices name as their seller."""
    current = legal.legal_identity(api.principal().tenant)
    return respond(current, version=current.version)


@api.route("PUT", "/settings/legal", roles=ADMINS, returns=LegalIdentity, if_match="required")
def put_legal_identity(body: LegalIdentityFields):
    """Replace the account's legal identity (If-Match: "0" the first time); a field left out is not set."""
    current = legal.update_legal_identity(api.principal().tenant, body, api.version())
    return respond(current, version=current.version)


# ---------------------------------------------------------------- the caller's own profile (locale, time zone)


@api.route("GET", "/me", roles=STAFF_AND_RESOURCES, returns=Profile)
def get_me():
    me = readers.profile(api.principal())
    return respond(me, version=me.version)


@api.route("PATCH", "/me", roles=STAFF_AND_RESOURCES, returns=Profile, if_match="required")
def update_me(body: ProfilePatch):
    """Set your own locale and time zone (If-Match: "0" the first time)."""
    me = readers.update_profile(api.principal(), body, api.version())
    return respond(me, version=me.version)


handler = api.handler()
