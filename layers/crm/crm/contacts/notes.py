"""Notes on a contact, and the one-off alert a note may carry.

A note may be about a topic filed under the contact (an opportunity of the sales context): it is
a note of the contact like any other (its alert, its place in the person-data index, its deletion
with the contact), listed by its topic too. The context that owns the topic checks it exists.
"""

from __future__ import annotations

from typing import Any

from crm.contacts.models import Note, NoteCreated, NoteFields, NoteTopic
from crm.contacts.repository import contacts as repo
from crm.contacts.repository import notes as notes_repo
from crm.platform import clock, dynamo, idempotency, ids, personal_data, scheduling, settings
from crm.platform.auth import Principal
from crm.platform.errors import NotFound, invalid
from crm.platform.i18n import tr
from crm.platform.pagination import Page

MAX_NAMED = 90


def create(principal: Principal, contact_id: str, fields: NoteFields, topic: NoteTopic | None = None) -> NoteCreated:
    tenant = principal.tenant
    contact = repo.get_contact(tenant, contact_id)
    if contact is None:
        raise NotFound(tr("no such contact"))
    now = clock.now()
    note: dict[str, Any] = {
        "id": ids.new_id(),
        "contact_id": contact_id,
        "text": fields.text,
        "author": principal.actor,
        "created_at": clock.iso(now),
    }
    if topic is not None:
        note["topic"] = topic.model_dump()
    if fields.alert_at is not None:
        if fields.alert_at <= now:
            raise invalid("alert_at", tr("must be in the future"))
        recipients = fields.alert_to or ([principal.email] if principal.email else [])
        if not recipients:
            raise invalid("alert_to", tr("is required: your account has no email address"))
        note |= {"alert_at": clock.iso(fields.alert_at), "alert_to": recipients, "alert_status": "pending"}
    # Who the note holds data of: the addresses it alerts, and the persons it names (those of its
    # contact and of the contact's parent, whose sites' notes name them) or whose address it quotes.
    subjects = personal_data.mentioned(tenant, note["text"], [contact_id, *([contact["parent_id"]] if contact.get("parent_id") else [])])
    subjects |= {personal_data.address(a) for a in note.get("alert_to", [])}
    if len(subjects) > MAX_NAMED:  # each is an index entry in the note's transaction (at most 100 items)
        raise invalid("text", tr("a note may name or alert at most {most} persons or addresses; split it", most=MAX_NAMED))
    if fields.alert_at is not None:
        # The schedule first: if saving the note then fails, the alert finds no note and sends nothing.
        function_arn, role_arn, group = settings.alerts_target()
        scheduling.schedule_once(
            f"note-{note['id']}",
            fields.alert_at,
            function_arn,
            role_arn,
            group,
            {"tenant": tenant, "contact_id": contact_id, "note_id": note["id"]},
        )
    try:
        notes_repo.create_note(
            tenant, note, idempotency.claim(note["id"]), personal_data.register(tenant, subjects, notes_repo.note_place(tenant, note))
        )
    except Exception:
        if fields.alert_at is not None:
            scheduling.cancel(f"note-{note['id']}", settings.alerts_target()[2])
        raise
    # The seed: a contact's flag shows whenever a note is created for it.
    return NoteCreated(**note, flag=contact.get("flag"))


def written_with(
    principal: Principal, contact: dict, text: str, topic: NoteTopic, *, contact_checked: bool = False
) -> tuple[Note, list[dynamo.Step]]:
    """A note another context writes in its own transaction (sales: "a document was linked to this
    opportunity"), without an alert: the note and its steps (with its place in the person-data
    index). `contact_checked`: that transaction already checks the contact exists."""
    tenant = principal.tenant
    note = {"id": ids.new_id(), "contact_id": contact["id"], "topic": topic.model_dump(), "text": text, "author": principal.actor}
    note["created_at"] = clock.iso(clock.now())
    subjects = personal_data.mentioned(tenant, text, [contact["id"], *([contact["parent_id"]] if contact.get("parent_id") else [])])
    steps = notes_repo.note_steps(tenant, note, check_contact=not contact_checked)
    return Note.model_validate(note), steps + personal_data.register(tenant, subjects, notes_repo.note_place(tenant, note))


def get(tenant: str, contact_id: str, note_id: str) -> Note:
    note = notes_repo.get_note(tenant, contact_id, note_id)
    if note is None:
        raise NotFound(tr("no such note on this contact"))
    return Note.model_validate(note)


def list_notes(tenant: str, contact_id: str, *, limit: int, cursor: str | None) -> Page[Note]:
    """A contact's notes, newest first."""
    if repo.get_contact(tenant, contact_id) is None:
        raise NotFound(tr("no such contact"))
    items, next_cursor = notes_repo.list_partition(
        tenant, contact_id, notes_repo.NOTE, limit=limit, cursor=cursor, query={"notes": contact_id}
    )
    return Page(items=[Note.model_validate(n) for n in items], next_cursor=next_cursor)


def topic_notes(tenant: str, topic: NoteTopic, *, limit: int, cursor: str | None) -> Page[Note]:
    """The notes about a topic (an opportunity), newest first."""
    items, next_cursor = notes_repo.topic_notes(
        tenant, topic.kind, topic.id, limit=limit, cursor=cursor, query={"topic": topic.model_dump()}
    )
    return Page(items=[Note.model_validate(n) for n in items], next_cursor=next_cursor)
