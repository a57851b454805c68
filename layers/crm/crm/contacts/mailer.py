"""The one mail service: every email the product sends goes through `send`, which sends it through
SES and files it in the email archive of the contact it concerns (the tenant's own archive when it
concerns no contact, e.g. a summary to the office).

The archive keeps who, what and when, SES's message id and the attachments' names and S3 keys,
never their bytes. Addresses that cannot be delivered to (an erased person's .invalid placeholder)
are left out; with no recipient left nothing is sent or filed. The recipients and the persons the
email concerns are registered in the person-data index with the archived record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crm.contacts import repository as repo
from crm.platform import clock, dynamo, ids, mail, personal_data
from crm.platform.mail import Attachment

__all__ = ["Attachment", "Email", "send"]
MAX_RECIPIENTS = 50  # SES's limit; with the persons concerned, each is an index entry of the archive's transaction


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    text: str
    kind: str  # what it is: note_alert, booking_invitation, gdpr_export, ...
    contact_id: str | None  # the contact it concerns, whose archive files it; None: the tenant's archive
    related_id: str | None = None  # what it is about (a note, a job, a person, a document)
    persons: tuple[str, ...] = ()  # ids of the persons it concerns
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe, List-Unsubscribe-Post (RFC 8058)


def send(tenant: str, email: Email, *, also: Sequence[dynamo.Step] = ()) -> dict | None:
    """Send and archive `email`; returns the archived record, or None when no recipient can be
    delivered to (nothing sent, nothing filed).

    `also`: the caller's transaction steps, written together with the archive (e.g. a note's alert
    marked sent): if they fail, the email was sent but neither they nor its record are written.
    """
    recipients = [a for a in dict.fromkeys(a.lower() for a in email.to) if mail.deliverable(a)]
    if not recipients:
        return None
    if len(recipients) + len(email.persons) > MAX_RECIPIENTS:
        raise ValueError(f"an email goes to at most {MAX_RECIPIENTS} recipients (SES's limit is 50): send one per recipient")
    message = mail.mime(recipients, email.subject, email.text, html=email.html, attachments=email.attachments, headers=dict(email.headers))
    message_id = mail.send(message)
    record = {
        "id": ids.new_id(),
        "contact_id": email.contact_id,
        "kind": email.kind,
        "to": recipients,
        "subject": email.subject,
        "sent_at": clock.iso(clock.now()),
        "message_id": message_id,
        "related_id": email.related_id,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": len(a.content), "s3_key": a.s3_key} for a in email.attachments
        ],
    }
    subjects = {personal_data.address(a) for a in recipients} | {personal_data.person(p) for p in email.persons}
    index = personal_data.register(tenant, subjects, repo.email_place(tenant, record))
    dynamo.transact_explained([*repo.archive_email(tenant, record), *index, *also])
    return record
