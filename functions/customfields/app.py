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
from crm.platform.auth import ADMINS, STAFF_AND_RESOURCES
from crm.platform.http import Api, etag, expected_version, respond

api = Api("customfields", reader_locale=reader_locale)
app = api.app


def _if_match() -> int | None:
    """If-Match where it is optional (creating, copying): honoured when sent."""
    return expected_version(api.header("If-Match")) if api.header("If-Match") else None


@app.exception_handler(service.ReplaceNeeded)
def _replace_needed(e: service.ReplaceNeeded) -> Response:
    # RFC 9457 extension members carry the counts, so a client can word its confirmation.
    e.headers = {**e.headers, "ETag": etag(e.version)}
    return api.problem(e, extensions=e.counts)


# ---------------------------------------------------------------- a group's fields


@api.route("GET", "/contact-groups/{group_id}/fields", roles=STAFF_AND_RESOURCES)
def list_fields(group_id: str) -> FieldList:
    fields = service.field_list(api.principal(), group_id)
    return respond(fields, version=fields.version)


@api.route("POST", "/contact-groups/{group_id}/fields", roles=ADMINS)
def create_field(group_id: str, body: FieldCreate) -> FieldDefinition:
    created, version = service.create_field(api.principal().tenant, group_id, body, _if_match())
    return respond(created, 201, version, {"Location": f"/contact-groups/{group_id}/fields/{created.id}"})


@api.route("PATCH", "/contact-groups/{group_id}/fields/{field_id}", roles=ADMINS)
def update_field(group_id: str, field_id: str, body: FieldPatch) -> FieldDefinition:
    updated, version = service.update_field(api.principal().tenant, group_id, field_id, body, expected_version(api.header("If-Match")))
    return respond(updated, version=version)


@api.route("DELETE", "/contact-groups/{group_id}/fields/{field_id}", roles=ADMINS)
def delete_field(group_id: str, field_id: str):
    version = service.delete_field(api.principal().tenant, group_id, field_id, expected_version(api.header("If-Match")))
    return respond(None, 204, version)


@api.route("PUT", "/contact-groups/{group_id}/fields/order", roles=ADMINS)
def reorder_fields(group_id: str, body: FieldOrder) -> FieldList:
    fields = service.reorder(api.principal().tenant, group_id, body.field_ids, expected_version(api.header("If-Match")))
    return respond(fields, version=fields.version)


@api.route("POST", "/contact-groups/{group_id}/fields/copy", roles=ADMINS)
def copy_fields(group_id: str, body: CopyRequest) -> CopyResult:
    result = service.copy(api.principal().tenant, group_id, body, _if_match())
    return respond(result, version=result.version)


# ---------------------------------------------------------------- a contact's answers


@api.route("GET", "/contacts/{contact_id}/fields", roles=STAFF_AND_RESOURCES)
def get_answers(contact_id: str) -> ContactFieldValues:
    answers = service.contact_answers(api.principal(), contact_id)
    return respond(answers, version=answers.version)


@api.route("PATCH", "/contacts/{contact_id}/fields", roles=STAFF_AND_RESOURCES)
def answer_fields(contact_id: str, body: ValuesPatch) -> ContactFieldValues:
    answers = service.answer(api.principal(), contact_id, body, expected_version(api.header("If-Match")))
    return respond(answers, version=answers.version)


handler = api.handler()
