"""The one mail service: every email the product sends goes through `send`, which sends it through
SES and files it in the email archive of the contact it concerns (the tenant's own archive when it
concerns no contact, e.g. a summary to the office).

Each email is written by one function, `compose(reader)`: its subject and text as a reader reads
them. Recipients are grouped by how they read (a person's or a staff user's own locale, else the
account's: crm.contacts.readers), and each group gets one message in its language, archived as
one record. The archive keeps who, what and when, SES's message id and the attachments' names and
S3 keys, never their bytes. Addresses that cannot be delivered to (an erased person's .invalid
placeholder) are left out; with no recipient left nothing is sent or filed. The recipients and the
persons the email concerns are registered in the person-data index with the archived record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from crm.contacts import readers
from crm.contacts.repository import notes as notes_repo
from crm.platform import clock, dynamo, ids, mail, personal_data
from crm.platform.i18n import Reader
from crm.platform.mail import Attachment

__all__ = ["Attachment", "Email", "send"]
MAX_RECIPIENTS, MAX_PERSONS = 50, 10  # SES's limit; each is an index entry of the archive's transaction (100 items at most)


@dataclass(frozen=True)
class Email:
    to: list[str]
    compose: Callable[[Reader], tuple[str, str]]  # the email's one function: (subject, text) as `reader` reads them
    kind: str  # what it is: note_alert, booking_invitation, gdpr_export, ...
    contact_id: str | None  # the contact it concerns, whose archive files it; None: the tenant's archive
    related_id: str | None = None  # what it is about (a note, a job, a person, a document)
    persons: tuple[str, ...] = ()  # ids of the persons it concerns
    readers: Mapping[str, Reader] = field(default_factory=dict)  # how an address reads, where the caller knows (a person)
    html: Callable[[Reader], str] | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe, List-Unsubscribe-Post (RFC 8058)


def _by_reader(tenant: str, email: Email, recipients: list[str]) -> dict[Reader, list[str]]:
    known = {a.lower(): r for a, r in email.readers.items()}
    unknown = [a for a in recipients if a not in known]
    reading = {**(readers.readers_at(tenant, unknown) if unknown else {}), **known}
    groups: dict[Reader, list[str]] = {}
    for address in recipients:
        groups.setdefault(reading[address], []).append(address)
    return groups


def send(tenant: str, email: Email, *, also: Sequence[dynamo.Step] = ()) -> list[dict]:
    """Send `email` (one message per language its recipients read) and archive it; returns the
    archived records, none when no recipient can be delivered to (nothing sent, nothing filed).

    `also`: the caller's transaction steps, written together with the archive (e.g. a note's alert
    marked sent): if they fail, the email was sent but neither they nor its records are written.
    """
    recipients = [a for a in dict.fromkeys(a.lower() for a in email.to) if mail.deliverable(a)]
    if not recipients:
        return []
    if len(recipients) > MAX_RECIPIENTS or len(email.persons) > MAX_PERSONS:
        raise ValueError(f"an email goes to at most {MAX_RECIPIENTS} addresses about at most {MAX_PERSONS} persons: send several")
    records, steps = [], []
    for reader, addresses in _by_reader(tenant, email, recipients).items():
        subject, text = email.compose(reader)
        html = email.html(reader) if email.html else None
        message = mail.mime(addresses, subject, text, html=html, attachments=email.attachments, headers=dict(email.headers))
        record = {
            "id": ids.new_id(),
            "contact_id": email.contact_id,
            "kind": email.kind,
            "to": addresses,
            "subject": subject,
            "sent_at": clock.iso(clock.now()),
            "message_id": mail.send(message),
            "related_id": email.related_id,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.content), "s3_key": a.s3_key}
                for a in email.attachments
            ],
        }
        subjects = {personal_data.address(a) for a in addresses} | {personal_data.person(p) for p in email.persons}
        steps += [
            *notes_repo.archive_email(tenant, record),
            *personal_data.register(tenant, subjects, notes_repo.email_place(tenant, record)),
        ]
        records.append(record)
    dynamo.transact_explained([*steps, *also])
    return records
