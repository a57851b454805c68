"""Delivering a note's alert: one email, archived on the contact, however often the schedule fires."""

from __future__ import annotations

from crm.contacts import repository as repo
from crm.platform import clock, ids, mail
from crm.platform.errors import Conflict


def deliver(tenant: str, contact_id: str, note_id: str) -> str:
    """Send the alert of a note if it is still pending. Returns what happened, for the log."""
    note = repo.get_note(tenant, contact_id, note_id)
    if note is None:
        return "skipped: the note no longer exists"
    if note.get("alert_status") != "pending":
        return f"skipped: already {note.get('alert_status')}"
    contact = repo.get_contact(tenant, contact_id) or {"name": "a deleted contact"}
    subject = f"Reminder: {contact['name']}"
    body = f"{note['text']}\n\nNote written by {note['author']} on {note['created_at']}."
    recipients = [a for a in note["alert_to"] if mail.deliverable(a)]
    message_id = mail.send(recipients, subject, body)
    email = {
        "id": ids.new_id(),
        "contact_id": contact_id,
        "kind": "note_alert",
        "to": recipients,
        "subject": subject,
        "sent_at": clock.iso(clock.now()),
        "message_id": message_id,
        "related_id": note_id,
    }
    try:
        repo.record_alert_sent(tenant, note, email)
    except Conflict:
        return "sent, but another delivery recorded it first"
    return "sent"
