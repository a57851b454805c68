"""Delivering a note's alert: one email per language among its recipients (each reads it in their
own), archived on the contact, however often the schedule fires."""

from __future__ import annotations

import contextlib

from crm.contacts import mailer
from crm.contacts.repository import contacts as repo
from crm.contacts.repository import notes as notes_repo
from crm.platform import dynamo
from crm.platform.errors import Conflict
from crm.platform.i18n import Reader, tr


def alert_email(note: dict, contact_name: str, reader: Reader) -> tuple[str, str]:
    """(subject, body) of the alert, as `reader` reads it."""
    subject = reader.text(tr("Reminder: {contact}", contact=contact_name))
    signed = tr("Note written by {author} on {written}.", author=note["author"], written=reader.datetime(note["created_at"]))
    return subject, f"{note['text']}\n\n{reader.text(signed)}"


def deliver(tenant: str, contact_id: str, note_id: str) -> str:
    """Send the alert of a note if it is still pending. Returns what happened, for the log."""
    note = notes_repo.get_note(tenant, contact_id, note_id)
    if note is None:
        return "skipped: the note no longer exists"
    if note.get("alert_status") != "pending":
        return f"skipped: already {note.get('alert_status')}"
    contact = repo.get_contact(tenant, contact_id)
    if contact is None:  # deleted: its notes go after it (ContactDeleted), its alerts with them
        return "skipped: the contact was deleted"
    email = mailer.Email(
        to=note["alert_to"],
        compose=lambda reader: alert_email(note, contact["name"], reader),
        kind="note_alert",
        contact_id=contact_id,
        related_id=note_id,
    )
    try:
        sent = mailer.send(tenant, email, also=notes_repo.alert_done(tenant, note, "sent"))
    except Conflict:
        return "sent, but another delivery recorded it first"
    if not sent:  # every recipient was erased since: no one is left to alert
        with contextlib.suppress(Conflict):  # cancelled by another delivery meanwhile
            dynamo.transact_explained(notes_repo.alert_done(tenant, note, "cancelled"))
        return "cancelled: no recipient left"
    return "sent"
