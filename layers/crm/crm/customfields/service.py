"""Custom fields of a contact group, and a contact's answers to them.

A group's fields are one versioned list: every change is read, apply, one conditional write, so
two admins editing at once get one success and one 412, and nothing is lost. A contact's answers
are a versioned item of their own, so answering never changes the contact record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from crm.contacts import groups as contact_groups
from crm.contacts import service as contacts
from crm.customfields import repository as repo
from crm.customfields import rules
from crm.customfields.models import (
    CHOICE_TYPES,
    ContactFieldValues,
    CopyRequest,
    CopyResult,
    FieldCreate,
    FieldDefinition,
    FieldList,
    FieldPatch,
    ValuesPatch,
)
from crm.platform import clock, dynamo, idempotency, ids
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, FieldError, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr, tr_n

MAX_LIST_BYTES = 300 * 1024  # a field list and a contact's answers each stay one DynamoDB item (400 KB)
MAX_DROPS = 1000  # answers items cleaned synchronously by a copy or delete; any beyond are ignored on read
CREATE_ATTEMPTS = 3


@dataclass
class ReplaceNeeded(Conflict):
    """A copy onto a group that has fields, without `replace: true`: says what it would drop."""

    version: int = 0
    counts: dict = field(default_factory=dict)


# ---------------------------------------------------------------- field lists


def _group_fields(tenant: str, group_id: str) -> dict:
    contact_groups.get_group(tenant, group_id)  # 404 for no such group
    return repo.get_fields(tenant, group_id)


def _view(group_id: str, version: int, fields: list[dict], resource: bool = False) -> FieldList:
    shown = rules.visible(fields, resource)
    return FieldList(group_id=group_id, version=version, items=[FieldDefinition(**f, position=i) for i, f in enumerate(shown)])


def _field(fields: list[dict], field_id: str) -> dict:
    found = next((f for f in fields if f["id"] == field_id), None)
    if found is None:
        raise NotFound(tr("no such field in this group"))
    return found


def _at(current: dict, expected_version: int | None) -> int:
    if expected_version is not None and expected_version != current["version"]:
        raise PreconditionFailed(tr("the field list changed since you read it; reload it and apply your change again"))
    return current["version"]


def _save(tenant: str, group_id: str, fields: list[dict], version: int, claim: Sequence[dynamo.Step] = ()) -> int:
    if len(json.dumps(fields).encode()) > MAX_LIST_BYTES:
        raise Conflict(
            tr("the group's field definitions would exceed {most} KB; use fewer or shorter options", most=MAX_LIST_BYTES // 1024)
        )
    return repo.put_fields(tenant, group_id, fields, version, claim)


def field_list(principal: Principal, group_id: str) -> FieldList:
    current = _group_fields(principal.tenant, group_id)
    return _view(group_id, current["version"], current["fields"], principal.is_resource)


def create_field(tenant: str, group_id: str, body: FieldCreate, expected_version: int | None) -> tuple[FieldDefinition, int]:
    """Append a field. Without If-Match a race with another admin is retried (an append loses
    nothing); with If-Match the client's version must still be current."""
    for attempt in range(CREATE_ATTEMPTS):
        current = _group_fields(tenant, group_id)
        version = _at(current, expected_version)
        fields = current["fields"]
        rules.check_room(fields)
        rules.check_label_free(fields, body.label)
        new = {
            "id": ids.new_id(),
            **body.model_dump(exclude={"options"}),
            "options": rules.merge_options([], body.options, ids.new_id) if body.options else None,
        }
        try:
            saved = _save(tenant, group_id, [*fields, new], version, idempotency.claim(new["id"]))
        except PreconditionFailed:
            if expected_version is not None or attempt == CREATE_ATTEMPTS - 1:
                raise
            continue
        return FieldDefinition(**new, position=len(fields)), saved
    raise AssertionError("unreachable")


def one_field(principal: Principal, group_id: str, field_id: str) -> tuple[FieldDefinition, int]:
    """One field of a group (as the principal may see it), and the list's version."""
    listed = field_list(principal, group_id)
    found = next((f for f in listed.items if f.id == field_id), None)
    if found is None:
        raise NotFound(tr("no such field in this group"))
    return found, listed.version


def update_field(tenant: str, group_id: str, field_id: str, patch: FieldPatch, expected_version: int) -> tuple[FieldDefinition, int]:
    current = _group_fields(tenant, group_id)
    fields = current["fields"]
    old = _field(fields, field_id)
    version = _at(current, expected_version)
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("type", old["type"]) != old["type"]:
        raise invalid("type", tr("cannot be changed; create a new field instead"))
    for name in ("label", "required", "visible_to_resources", "options"):
        if name in changes and changes[name] is None:
            raise invalid(name, tr("cannot be cleared"))
    if patch.options is not None and old["type"] not in CHOICE_TYPES:
        raise invalid("options", tr("a {type} field has no options", type=old["type"]))
    if patch.label is not None:
        rules.check_label_free(fields, patch.label, field_id)
    new = {**old, **{k: v for k, v in changes.items() if k not in ("type", "options")}}
    if patch.options is not None:
        new["options"] = rules.merge_options(old["options"], patch.options, ids.new_id)
    position = fields.index(old)
    saved = _save(tenant, group_id, [new if f is old else f for f in fields], version)
    return FieldDefinition(**new, position=position), saved


def delete_field(tenant: str, group_id: str, field_id: str, expected_version: int) -> int:
    current = _group_fields(tenant, group_id)
    _field(current["fields"], field_id)
    version = _at(current, expected_version)
    saved = _save(tenant, group_id, [f for f in current["fields"] if f["id"] != field_id], version)
    _drop_answers(tenant, group_id, {field_id})
    return saved


def reorder(tenant: str, group_id: str, field_ids: list[str], expected_version: int) -> FieldList:
    current = _group_fields(tenant, group_id)
    version = _at(current, expected_version)
    fields = rules.reordered(current["fields"], field_ids)
    return _view(group_id, _save(tenant, group_id, fields, version), fields)


def _answer_counts(tenant: str, group_id: str, fields: list[dict]) -> dict[str, int]:
    """How many answers (and on how many contacts) the group's current fields hold."""
    contacts_affected = values = 0
    for item in repo.group_values(tenant, group_id):
        answered = len(rules.current_answers(fields, item["values"]))
        contacts_affected += answered > 0
        values += answered
    return {"fields_dropped": len(fields), "contacts_affected": contacts_affected, "values_dropped": values}


def _drop_answers(tenant: str, group_id: str, field_ids: set[str]) -> None:
    """Delete the answers to dropped fields, a bounded number of items per call. Correctness does
    not depend on it: answers to fields a group no longer has are never shown or counted."""
    if not field_ids:
        return
    now = clock.iso(clock.now())
    done = 0
    for item in repo.group_values(tenant, group_id):
        if field_ids & item["values"].keys():
            repo.drop_answers(tenant, item, field_ids, now)
            done += 1
            if done >= MAX_DROPS:
                return


def copy(tenant: str, group_id: str, request: CopyRequest, expected_version: int | None) -> CopyResult:
    """Replace the group's fields by copies of another group's (new field ids, same option ids).

    A group that has fields is only replaced when the client confirms with `replace: true`; until
    then the 409 says how many fields and answers would be dropped (and carries the list's
    version, to send as If-Match with the confirmation)."""
    current = _group_fields(tenant, group_id)
    if request.from_group_id == group_id:
        raise invalid("from_group_id", tr("is this group; copy from another one"))
    try:
        contact_groups.get_group(tenant, request.from_group_id)
    except NotFound:
        raise invalid("from_group_id", tr("is not one of this account's contact groups")) from None
    version = _at(current, expected_version)
    old = current["fields"]
    counts = _answer_counts(tenant, group_id, old) if old else {"fields_dropped": 0, "contacts_affected": 0, "values_dropped": 0}
    if old and not request.replace:
        fields, values, contacts_affected = counts["fields_dropped"], counts["values_dropped"], counts["contacts_affected"]
        raise ReplaceNeeded(
            tr(
                "this group already has {fields}, with {answers} on {contacts}; send replace: true to drop them and copy",
                fields=tr_n("{count} field", "{count} fields", fields, count=fields),
                answers=tr_n("{count} answer", "{count} answers", values, count=values),
                contacts=tr_n("{count} contact", "{count} contacts", contacts_affected, count=contacts_affected),
            ),
            [FieldError("replace", tr("must be true to replace the existing fields"))],
            version=version,
            counts=counts,
        )
    source = repo.get_fields(tenant, request.from_group_id)["fields"]
    copied = [{**f, "id": ids.new_id()} for f in source]
    saved = _save(tenant, group_id, copied, version)
    _drop_answers(tenant, group_id, {f["id"] for f in old})
    return CopyResult(**_view(group_id, saved, copied).model_dump(), **counts)


# ---------------------------------------------------------------- a contact's answers


def _answers_view(contact: dict, fields: list[dict], answers: dict, version: int, resource: bool) -> ContactFieldValues:
    shown = rules.visible(fields, resource)
    items = [{**f, "position": i, "value": answers.get(f["id"])} for i, f in enumerate(shown)]
    return ContactFieldValues(contact_id=contact["id"], group_id=contact["group_id"], version=version, fields=items)


def contact_answers(principal: Principal, contact_id: str) -> ContactFieldValues:
    contact = contacts.get(principal.tenant, contact_id)
    fields = repo.get_fields(principal.tenant, contact["group_id"])["fields"]
    stored = repo.get_values(principal.tenant, contact_id)
    return _answers_view(contact, fields, rules.current_answers(fields, stored["values"]), stored["version"], principal.is_resource)


def answer(principal: Principal, contact_id: str, patch: ValuesPatch, expected_version: int) -> ContactFieldValues:
    """Set or clear answers. Staff may answer every field, a resource only the fields visible to
    resources; only the answers item is written, never the contact."""
    tenant = principal.tenant
    contact = contacts.get(tenant, contact_id)
    stored = repo.get_values(tenant, contact_id)
    if stored["version"] != expected_version:
        raise PreconditionFailed(tr("the answers changed since you read them; reload them and apply your change again"))
    fields = repo.get_fields(tenant, contact["group_id"])["fields"]
    answers = rules.apply_answers(fields, rules.visible(fields, principal.is_resource), stored["values"], patch.values)
    if len(json.dumps(answers).encode()) > MAX_LIST_BYTES:
        raise invalid("values", tr("a contact's answers may total at most {most} KB", most=MAX_LIST_BYTES // 1024))
    version = repo.put_values(tenant, contact_id, contact["group_id"], answers, expected_version, clock.iso(clock.now()))
    return _answers_view(contact, fields, answers, version, principal.is_resource)


def forget_contact(tenant: str, contact_id: str) -> None:
    """The contact was deleted: its answers are dropped (idempotent)."""
    repo.delete_values(tenant, contact_id)
