"""Custom fields API: a contact group's field definitions (admin) and each contact's answers.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from crm.contacts.readers import reader_locale
from crm.customfields import service
from crm.customfields.models import (
    ContactFieldValues,
    CopyRequest,
    CopyResult,
    FieldCreate,
    FieldDefinition,
    FieldList,
    FieldOrder,
    FieldPatch,
    ValuesPatch,
)
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF_AND_RESOURCES
from crm.platform.http import Api, respond
from crm.platform.preconditions import etag

settings.require(settings.TABLE_NAME, settings.IDEMPOTENCY_TABLE, settings.CURSOR_KEYS_PARAMETER)
api = Api("customfields", reader_locale=reader_locale)
app = api.app
FIELDS = "/contact-groups/{group_id}/fields"  # the list whose version every change of a group's fields is conditional on
LABEL_OR_ROOM = "the label is another field's, or the group is full"


@app.exception_handler(service.ReplaceNeeded)
def _replace_needed(e: service.ReplaceNeeded) -> Response:
    # RFC 9457 extension members carry the counts, so a client can word its confirmation.
    e.headers = {**e.headers, "ETag": etag(e.version)}
    return api.problem(e, extensions=e.counts)


# ---------------------------------------------------------------- a group's fields


@api.route("GET", FIELDS, roles=STAFF_AND_RESOURCES)
def list_fields(group_id: str) -> FieldList:
    fields = service.field_list(api.principal(), group_id)
    return respond(fields, version=fields.version)


@api.route(
    "POST",
    FIELDS,
    roles=ADMINS,
    returns=FieldDefinition,
    location="/contact-groups/{group_id}/fields/{field_id}",
    if_match="optional",
    etag_of=FIELDS,
    conflicts=(LABEL_OR_ROOM,),
)
def create_field(group_id: str, body: FieldCreate):
    created, version = service.create_field(api.principal().tenant, group_id, body, api.version_if_sent())
    return respond(created, 201, version)


@api.route("GET", "/contact-groups/{group_id}/fields/{field_id}", roles=STAFF_AND_RESOURCES, returns=FieldDefinition)
def get_field(group_id: str, field_id: str):
    found, version = service.one_field(api.principal(), group_id, field_id)
    return respond(found, version=version)


@api.route(
    "PATCH",
    "/contact-groups/{group_id}/fields/{field_id}",
    roles=ADMINS,
    returns=FieldDefinition,
    if_match="required",
    etag_of=FIELDS,
    conflicts=(LABEL_OR_ROOM,),
)
def update_field(group_id: str, field_id: str, body: FieldPatch):
    updated, version = service.update_field(api.principal().tenant, group_id, field_id, body, api.version())
    return respond(updated, version=version)


@api.route("DELETE", "/contact-groups/{group_id}/fields/{field_id}", roles=ADMINS, if_match="required", etag_of=FIELDS)
def delete_field(group_id: str, field_id: str):
    version = service.delete_field(api.principal().tenant, group_id, field_id, api.version())
    return respond(None, 204, version)


@api.route("PUT", "/contact-groups/{group_id}/fields/order", roles=ADMINS, returns=FieldList, if_match="required", etag_of=FIELDS)
def reorder_fields(group_id: str, body: FieldOrder):
    fields = service.reorder(api.principal().tenant, group_id, body.field_ids, api.version())
    return respond(fields, version=fields.version)


@api.route(
    "POST",
    "/contact-groups/{group_id}/fields/copy",
    roles=ADMINS,
    returns=CopyResult,
    if_match="optional",
    etag_of=FIELDS,
    conflicts=("the group has fields and replace is not true (the problem says what would be dropped)",),
)
def copy_fields(group_id: str, body: CopyRequest):
    result = service.copy(api.principal().tenant, group_id, body, api.version_if_sent())
    return respond(result, version=result.version)


# ---------------------------------------------------------------- a contact's answers


@api.route("GET", "/contacts/{contact_id}/fields", roles=STAFF_AND_RESOURCES)
def get_answers(contact_id: str) -> ContactFieldValues:
    answers = service.contact_answers(api.principal(), contact_id)
    return respond(answers, version=answers.version)


@api.route("PATCH", "/contacts/{contact_id}/fields", roles=STAFF_AND_RESOURCES, returns=ContactFieldValues, if_match="required")
def answer_fields(contact_id: str, body: ValuesPatch):
    answers = service.answer(api.principal(), contact_id, body, api.version())
    return respond(answers, version=answers.version)


handler = api.handler()
