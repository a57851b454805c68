"""DynamoDB keys and writes of custom fields. The only module that knows these keys.

Items (all keys start with the tenant, through crm.platform.keys):
  field list   PK=T#t#FIELDS#<group>        SK=FIELDS
               {group_id, version, fields: [definition, ...] in display order}
               Every change to a group's fields (create, edit, delete, reorder, copy) is one
               conditional put of this item on its version, so concurrent admins get 412.
  answers      PK=T#t#FIELDVALUES#<contact> SK=VALUES
               {contact_id, group_id, version, values: {field_id: value}}
               GSI1 T#t#FIELDVALUES-GROUP#<group> / <contact>  the answers given in a group
               Kept apart from the contact record: answering never changes the contact.
The items are never deleted, so their versions never go back to 0 (no ABA on If-Match).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from crm.platform import dynamo
from crm.platform.errors import PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

LIST_SK, VALUES_SK = "FIELDS", "VALUES"


def _list_pk(tenant: str, group_id: str) -> str:
    return tenant_key(tenant, "FIELDS", group_id)


def _values_pk(tenant: str, contact_id: str) -> str:
    return tenant_key(tenant, "FIELDVALUES", contact_id)


def _group_values_pk(tenant: str, group_id: str) -> str:
    return tenant_key(tenant, "FIELDVALUES-GROUP", group_id)


def _at_version(expected_version: int):
    return Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)


# ---------------------------------------------------------------- field lists


def get_fields(tenant: str, group_id: str) -> dict:
    """{version, fields}; a group nobody gave fields yet is version 0 with none."""
    item = dynamo.get(_list_pk(tenant, group_id), LIST_SK)
    return dynamo.from_item(item) if item else {"group_id": group_id, "version": 0, "fields": []}


def put_fields(tenant: str, group_id: str, fields: list[dict], expected_version: int, claim: Sequence[dynamo.Step] = ()) -> int:
    """Replace the group's field list if it is still at `expected_version`; returns the new version."""
    version = expected_version + 1
    item = {**dynamo.to_item({"group_id": group_id, "version": version, "fields": fields}), "PK": _list_pk(tenant, group_id), "SK": LIST_SK}
    dynamo.put_one(
        item,
        _at_version(expected_version),
        PreconditionFailed(tr("the field list changed since you read it; reload it and apply your change again")),
        claim,
    )
    return version


# ---------------------------------------------------------------- answers


def get_values(tenant: str, contact_id: str) -> dict:
    item = dynamo.get(_values_pk(tenant, contact_id), VALUES_SK)
    return dynamo.from_item(item) if item else {"contact_id": contact_id, "version": 0, "values": {}}


def put_values(tenant: str, contact_id: str, group_id: str, values: dict[str, Any], expected_version: int, updated_at: str) -> int:
    """Replace a contact's answers if still at `expected_version`; returns the new version."""
    version = expected_version + 1
    data = {"contact_id": contact_id, "group_id": group_id, "version": version, "values": values, "updated_at": updated_at}
    item = {**dynamo.to_item(data), "PK": _values_pk(tenant, contact_id), "SK": VALUES_SK}
    if values:  # only contacts with answers are in their group's index
        item |= {"GSI1PK": _group_values_pk(tenant, group_id), "GSI1SK": contact_id}
    dynamo.put_one(
        item,
        _at_version(expected_version),
        PreconditionFailed(tr("the answers changed since you read them; reload them and apply your change again")),
    )
    return version


def delete_values(tenant: str, contact_id: str) -> None:
    """A deleted contact's answers go with it (its id is a ULID: never reused, so no old ETag can
    match a new item)."""
    dynamo.batch_delete([(_values_pk(tenant, contact_id), VALUES_SK)])


def group_values(tenant: str, group_id: str) -> Iterator[dict]:
    """Every answers item indexed under the group (a Query on GSI1, never a Scan)."""
    for item in dynamo.query_all(("GSI1PK", _group_values_pk(tenant, group_id)), index="GSI1"):
        yield dynamo.from_item(item)


def drop_answers(tenant: str, answers: dict, field_ids: set[str], updated_at: str) -> bool:
    """Remove the answers to `field_ids` from one contact's item, unless it changed since it was
    read (then it was rewritten against the current fields, or its leftovers are ignored on read
    and pruned on its next write). Returns whether it was written."""
    kept = {k: v for k, v in answers["values"].items() if k not in field_ids}
    try:
        put_values(tenant, answers["contact_id"], answers["group_id"], kept, answers["version"], updated_at)
    except PreconditionFailed:
        return False
    except ClientError as e:
        if not dynamo.is_transient(e):
            raise
        return False
    return True
