"""DynamoDB keys and writes of what is filed in a contact's partition besides the contact: its
notes (a note about a topic, such as an opportunity, also listed by that topic) and its archived
emails (an email that concerns no contact is filed on the tenant) (the key map:
crm/contacts/repository/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.contacts.repository.contacts import CONTACT, contact_pk
from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, NotFound
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

NOTE, EMAIL = "NOTE#", "EMAIL#"


def _topic_pk(tenant: str, kind: str, topic_id: str) -> str:
    return tenant_key(tenant, "TOPICNOTES", kind, topic_id)


def note_steps(tenant: str, note: dict, *, check_contact: bool = True) -> list[dynamo.Step]:
    """A note in its contact's partition; a note about something filed under the contact (an
    opportunity: `note["topic"]`) is also listed by that topic (GSI1). `check_contact`: the contact
    must exist (left out when the caller's transaction checks it already: DynamoDB takes one
    operation per item in a transaction)."""
    pk = contact_pk(tenant, note["contact_id"])
    topic = note.get("topic")
    listed = {"GSI1PK": _topic_pk(tenant, topic["kind"], topic["id"]), "GSI1SK": note["id"]} if topic else {}
    exists: list[dynamo.Step] = [(dynamo.check(pk, CONTACT, ConditionExpression=Attr("PK").exists()), NotFound(tr("no such contact")))]
    return [
        *(exists if check_contact else []),
        (
            dynamo.put({**dynamo.to_item(note), "PK": pk, "SK": NOTE + note["id"], **listed}, ConditionExpression=Attr("PK").not_exists()),
            Conflict(tr("this note already exists")),
        ),
    ]


def create_note(tenant: str, note: dict, claim: Sequence[dynamo.Step] = (), also: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained([*claim, *note_steps(tenant, note), *also])


def get_note(tenant: str, contact_id: str, note_id: str) -> dict | None:
    item = dynamo.get(contact_pk(tenant, contact_id), NOTE + note_id)
    return dynamo.from_item(item) if item else None


def topic_notes(tenant: str, kind: str, topic_id: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """The notes about one topic (an opportunity), newest first."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI1PK", _topic_pk(tenant, kind, topic_id)),
        index="GSI1",
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def list_partition(
    tenant: str, contact_id: str | None, prefix: str, *, limit: int, cursor: str | None, query: dict
) -> tuple[list[dict], str | None]:
    """A contact's notes or emails (contact_id None: the emails filed on the tenant), newest first
    (their ids are ULIDs)."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _archive_pk(tenant, contact_id)),
        sort=Key("SK").begins_with(prefix),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def alert_done(tenant: str, note: dict, status: str) -> list[dynamo.Step]:
    """The step that moves a pending alert to `status` (sent, with its archived email; cancelled)."""
    op = dynamo.update(
        contact_pk(tenant, note["contact_id"]),
        NOTE + note["id"],
        UpdateExpression="SET alert_status = :s",
        ConditionExpression=Attr("alert_status").eq("pending"),
        ExpressionAttributeValues={":s": status},
    )
    return [(op, Conflict(tr("the alert was already sent or cancelled")))]


def _archive_pk(tenant: str, contact_id: str | None) -> str:
    return contact_pk(tenant, contact_id) if contact_id else tenant_key(tenant, "EMAILS")


def archive_email(tenant: str, email: dict) -> list[dynamo.Step]:
    """The step that files a sent email in its contact's archive (or the tenant's, contact_id None)."""
    item = {**dynamo.to_item({k: v for k, v in email.items() if v is not None}), "PK": _archive_pk(tenant, email["contact_id"])}
    item["SK"] = EMAIL + email["id"]
    return [(dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this email is already archived")))]


def list_before(tenant: str, contact_id: str, prefix: str, before: str | None, limit: int) -> list[dict]:
    """Up to `limit` of a contact's notes or emails older than the id `before`, newest first."""
    upper = prefix + (before or "~")  # "~" sorts after every ULID character
    items = dynamo.query_all(("PK", contact_pk(tenant, contact_id)), Key("SK").between(prefix, upper), newest_first=True, limit=limit + 1)
    return [dynamo.from_item(i) for i in items if i["SK"] != upper][:limit]


# ---------------------------------------------------------------- where personal data is written (for the person-data index)


def note_place(tenant: str, note: dict) -> personal_data.Place:
    return personal_data.Place(
        contact_pk(tenant, note["contact_id"]), NOTE + note["id"], "contacts", "note", note["id"], ("text", "alert_to")
    )


def email_place(tenant: str, email: dict) -> personal_data.Place:
    return personal_data.Place(
        _archive_pk(tenant, email["contact_id"]), EMAIL + email["id"], "contacts", "email", email["id"], ("to", "subject")
    )
