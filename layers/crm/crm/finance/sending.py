"""Sending a document: its stored PDF attached, through the one mail path (crm.contacts.mailer:
SES, then the email archived on the contact), to the contact's persons who receive financial
documents or to chosen addresses, each in their language; the document marked sent.

One send at a time per document (a lease item), so a double click sends one email. A failure
before SES accepts the message (S3, SES) leaves the document as it was and frees the lease: a
retry sends it, once.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from crm.contacts import mailer, readers
from crm.finance import lifecycle, pdfs
from crm.finance import repository as repo
from crm.finance import service as documents
from crm.finance.models import SendRequest
from crm.people import service as people
from crm.platform import clock
from crm.platform.auth import Principal
from crm.platform.errors import Unavailable, invalid
from crm.platform.i18n import Reader, tr

LEASE_S = 120  # longer than a send takes (the function's timeout), short enough for a retry after a crash
MAX_PERSONS = 50


def compose(document: dict, reader: Reader) -> tuple[str, str]:
    """(subject, text) of the email carrying `document`, as `reader` reads it."""
    name = pdfs.title(document, reader)
    company = (document.get("seller") or {}).get("name") or ""
    subject = reader.text(tr("{document} from {company}", document=name, company=company)) if company else name
    lines = [
        reader.text(tr("Hello,")),
        "",
        reader.text(
            tr("Please find attached {document} ({amount}).", document=name, amount=reader.money(document["gross"], document["currency"]))
        ),
    ]
    if document["type"] == "invoice" and document.get("due_date"):
        lines.append(reader.text(tr("It is due on {date}.", date=reader.date(document["due_date"]))))
    lines += ["", company]
    return subject, "\n".join(lines).rstrip() + "\n"


def recipients(tenant: str, contact_id: str, chosen: list[str] | None) -> tuple[list[str], list[str], dict[str, Reader]]:
    """(addresses, ids of the persons among them, how each person reads): `chosen`, or the
    contact's persons who receive financial documents (422 naming `to` when there is none)."""
    found, _ = people.find(tenant, contact_id=contact_id, limit=MAX_PERSONS, cursor=None)
    by_address = {p["email"].lower(): p for p in found if p.get("email")}
    if chosen is None:
        chosen = [a for a, p in by_address.items() if p.get("receives_financial_documents")]
        if not chosen:
            raise invalid("to", tr("no person at the contact receives financial documents by email: choose the addresses"))
    persons = [by_address[a]["id"] for a in chosen if a in by_address]
    reading = {a: readers.account_reader(tenant, by_address[a]) for a in chosen if a in by_address}
    return chosen, persons, reading


def send(principal: Principal, document_id: str, request: SendRequest) -> dict:
    """Email the document; returns {"document", "to"}. An issued document becomes sent (timestamped);
    one already sent (or answered) is sent again and keeps its status."""
    tenant = principal.tenant
    document = documents.get(tenant, document_id)
    lifecycle.check_issued(document)
    to, persons, reading = recipients(tenant, document["contact_id"], request.to)
    now = clock.now()
    repo.start_sending(tenant, document_id, int(now.timestamp()), LEASE_S)
    try:
        document = pdfs.stored(tenant, document)
        attachment = mailer.Attachment(pdfs.filename(document), "application/pdf", pdfs.content(document), s3_key=document["pdf"]["key"])
        at = clock.iso(now)
        sent = {**document, "version": document["version"] + 1, "updated_at": at, "last_sent_at": at}
        if document["status"] == "issued":
            sent |= {"status": "sent", "sent_at": at}
        email = mailer.Email(
            to=to,
            compose=lambda reader: compose(document, reader),
            kind="financial_document",
            contact_id=document["contact_id"],
            related_id=document_id,
            persons=tuple(persons[: mailer.MAX_PERSONS]),
            readers=reading,
            attachments=(attachment,),
        )
        also = [repo.save_step(tenant, sent, document["version"]), repo.sending_done(tenant, document_id)]
        mailer.send(tenant, email, also=also)
    except ClientError as e:
        repo.release_sending(tenant, document_id)
        if e.operation_name == "SendRawEmail":  # SES refused it: nothing was sent, the document is as it was
            raise Unavailable(
                tr("the mail service is unavailable; nothing was sent, retry shortly"), headers={"Retry-After": "5"}
            ) from None
        raise
    except BaseException:
        repo.release_sending(tenant, document_id)
        raise
    return {"document": sent, "to": to}
