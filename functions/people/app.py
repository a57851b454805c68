"""People API: the persons at a contact, the tenant's tags, GDPR consent, export and erasure.

Each route parses, authorises (its roles) and makes one call into the crm layer. Persons are
personal data: office staff and admins only; export and erasure are admin only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.people import gdpr, service
from crm.people.models import (
    ConsentChange,
    ConsentEvent,
    ExportLink,
    ExportRequest,
    Person,
    PersonFields,
    PersonPatch,
    Tag,
    TagFields,
    TagPatch,
)
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import Limit

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.ATTACHMENTS_BUCKET,
    settings.MAIL_FROM,
    settings.CUSTOMER_USER_POOL_ID,
)
api = Api("people", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=2048)]
TagId = Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


ERASED = "the person was erased: the record cannot change"


def _tenant() -> str:
    return api.principal().tenant


# ---------------------------------------------------------------- persons


@api.route("GET", "/contacts/{contact_id}/persons", roles=STAFF)
def list_contact_persons(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Person]:
    items, next_cursor = service.find(_tenant(), contact_id=contact_id, limit=limit, cursor=cursor)
    return Page(items=[service.view(p) for p in items], next_cursor=next_cursor)


@api.route("POST", "/contacts/{contact_id}/persons", roles=STAFF, returns=Person, location="/persons/{person_id}")
def create_person(contact_id: str, body: PersonFields):
    person = service.create(api.principal(), contact_id, body)
    return respond(service.view(person), 201, person["version"])


@api.route("GET", "/persons", roles=STAFF)
def list_persons(
    tag: TagId = None,
    audience: Annotated[
        Literal["marketing"] | None, Query(description="marketing: only persons who opted in and whose consent is given")
    ] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Person]:
    items, next_cursor = service.find(_tenant(), tag_id=tag, audience=audience, limit=limit, cursor=cursor)
    return Page(items=[service.view(p) for p in items], next_cursor=next_cursor)


@api.route("GET", "/persons/{person_id}", roles=STAFF, returns=Person)
def get_person(person_id: str):
    person = service.get(_tenant(), person_id)
    return respond(service.view(person), version=person["version"])


@api.route("PATCH", "/persons/{person_id}", roles=STAFF, returns=Person, if_match="required", conflicts=(ERASED,))
def update_person(person_id: str, body: PersonPatch):
    person = service.update(api.principal(), person_id, body, api.version())
    return respond(service.view(person), version=person["version"])


@api.route("DELETE", "/persons/{person_id}", roles=STAFF, if_match="required", conflicts=(ERASED,))
def delete_person(person_id: str):
    service.delete(api.principal(), person_id, api.version())
    return respond(None, 204)


# ---------------------------------------------------------------- consent


@api.route("GET", "/persons/{person_id}/consent", roles=STAFF)
def consent_history(person_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ConsentEvent]:
    items, next_cursor = service.consent_history(_tenant(), person_id, limit=limit, cursor=cursor)
    return Page(items=[ConsentEvent.model_validate(e) for e in items], next_cursor=next_cursor)


@api.route(
    "POST",
    "/persons/{person_id}/consent",
    roles=STAFF,
    returns=ConsentEvent,
    location="/persons/{person_id}/consent/{event_id}",
    if_match="optional",
    etag_of="/persons/{person_id}",
    conflicts=(ERASED,),
)
def record_consent(person_id: str, body: ConsentChange):
    """Record a consent change (If-Match optional: sent, it applies only to that version of the person)."""
    event = service.record_consent(api.principal(), person_id, body, api.version_if_sent())
    return respond(ConsentEvent.model_validate(event), 201)


@api.route("GET", "/persons/{person_id}/consent/{event_id}", roles=STAFF)
def consent_event(person_id: str, event_id: str) -> ConsentEvent:
    return ConsentEvent.model_validate(service.consent_event(_tenant(), person_id, event_id))


# ---------------------------------------------------------------- GDPR (admin)


@api.route("POST", "/persons/{person_id}/export", roles=ADMINS)
def export_person(person_id: str, body: ExportRequest) -> ExportLink:
    return gdpr.export(api.principal(), person_id, body.email_to)


@api.route(
    "POST", "/persons/{person_id}/erase", roles=ADMINS, returns=Person, conflicts=("already erased, or changing while it was erased",)
)
def erase_person(person_id: str):
    person = gdpr.erase(api.principal(), person_id)
    return respond(service.view(person), version=person["version"])


# ---------------------------------------------------------------- tags


@api.route("GET", "/tags", roles=STAFF)
def list_tags() -> Page[Tag]:
    return Page(items=service.tags(_tenant()))


TAG_NAME_TAKEN = "another tag has this name"


@api.route("POST", "/tags", roles=ADMINS, returns=Tag, location="/tags/{tag_id}", conflicts=(TAG_NAME_TAKEN,))
def create_tag(body: TagFields):
    tag = service.create_tag(_tenant(), body)
    return respond(tag, 201, tag.version)


@api.route("GET", "/tags/{tag_id}", roles=STAFF, returns=Tag)
def get_tag(tag_id: str):
    tag = Tag.model_validate(service.tag(_tenant(), tag_id))
    return respond(tag, version=tag.version)


@api.route("PATCH", "/tags/{tag_id}", roles=ADMINS, returns=Tag, if_match="required", conflicts=(TAG_NAME_TAKEN,))
def update_tag(tag_id: str, body: TagPatch):
    tag = service.update_tag(_tenant(), tag_id, body, api.version())
    return respond(tag, version=tag.version)


@api.route("DELETE", "/tags/{tag_id}", roles=ADMINS, if_match="required", conflicts=("the tag is still given to persons",))
def delete_tag(tag_id: str):
    service.delete_tag(_tenant(), tag_id, api.version())
    return respond(None, 204)


handler = api.handler()
