"""Delivering a note's alert: one email per language among its recipients (each reads it in their
own), archived on the contact, however often the schedule fires."""

from __future__ import annotations

from crm.contacts import readers
from crm.contacts import repository as repo
from crm.platform import clock, ids, mail
from crm.platform.errors import Conflict
from crm.platform.i18n import Reader, tr


def _message(note: dict, contact_name: str, reader: Reader) -> tuple[str, str]:
    """(subject, body) of the alert, as `reader` reads it."""
    subject = reader.text(tr("Reminder: {contact}", contact=contact_name))
    signed = tr("Note written by {author} on {written}.", author=note["author"], written=reader.datetime(note["created_at"]))
    return subject, f"{note['text']}\n\n{reader.text(signed)}"


def deliver(tenant: str, contact_id: str, note_id: str) -> str:
    """Send the alert of a note if it is still pending. Returns what happened, for the log."""
    note = repo.get_note(tenant, contact_id, note_id)
    if note is None:
        return "skipped: the note no longer exists"
    if note.get("alert_status") != "pending":
        return f"skipped: already {note.get('alert_status')}"
    contact = repo.get_contact(tenant, contact_id)
    recipients = [a for a in note["alert_to"] if mail.deliverable(a)]
    by_reader: dict[Reader, list[str]] = {}
    for address, reader in readers.readers_at(tenant, recipients).items():
        by_reader.setdefault(reader, []).append(address)
    emails = []
    for reader, addresses in by_reader.items():
        subject, body = _message(note, contact["name"] if contact else reader.text(tr("a deleted contact")), reader)
        emails.append(
            {
                "id": ids.new_id(),
                "contact_id": contact_id,
                "kind": "note_alert",
                "to": addresses,
                "subject": subject,
                "sent_at": clock.iso(clock.now()),
                "message_id": mail.send(addresses, subject, body),
                "related_id": note_id,
            }
        )
    try:
        repo.record_alert_sent(tenant, note, emails)
    except Conflict:
        return "sent, but another delivery recorded it first"
    return "sent"
