"""Delivering a note's alert: one email, archived on the contact, however often the schedule fires."""

from __future__ import annotations

import contextlib

from crm.contacts import mailer
from crm.contacts import repository as repo
from crm.platform import dynamo
from crm.platform.errors import Conflict


def alert_email(contact_name: str, note: dict) -> tuple[str, str]:
    """The alert's subject and text."""
    subject = f"Reminder: {contact_name}"
    text = f"{note['text']}\n\nNote written by {note['author']} on {note['created_at']}."
    return subject, text


def deliver(tenant: str, contact_id: str, note_id: str) -> str:
    """Send the alert of a note if it is still pending. Returns what happened, for the log."""
    note = repo.get_note(tenant, contact_id, note_id)
    if note is None:
        return "skipped: the note no longer exists"
    if note.get("alert_status") != "pending":
        return f"skipped: already {note.get('alert_status')}"
    contact = repo.get_contact(tenant, contact_id)
    if contact is None:  # deleted: its notes go after it (ContactDeleted), its alerts with them
        return "skipped: the contact was deleted"
    subject, text = alert_email(contact["name"], note)
    email = mailer.Email(to=note["alert_to"], subject=subject, text=text, kind="note_alert", contact_id=contact_id, related_id=note_id)
    try:
        sent = mailer.send(tenant, email, also=repo.alert_done(tenant, note, "sent"))
    except Conflict:
        return "sent, but another delivery recorded it first"
    if sent is None:  # every recipient was erased since: no one is left to alert
        with contextlib.suppress(Conflict):  # cancelled by another delivery meanwhile
            dynamo.transact_explained(repo.alert_done(tenant, note, "cancelled"))
        return "cancelled: no recipient left"
    return "sent"
