"""Sending email through SES: one MIME message per email (SendRawEmail), with its attachments and
headers. Only the contacts context's mailer calls `send`: it files every email it sends."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

from crm.platform import aws, settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    content: bytes
    s3_key: str | None = None  # where the sender keeps the file, if it does: archived instead of the bytes


def deliverable(address: str) -> bool:
    """False for addresses under the reserved .invalid TLD (RFC 2606), e.g. an erased person's."""
    return not address.lower().endswith(".invalid")


def mime(
    to: list[str], subject: str, text: str, *, html: str | None = None, attachments: tuple[Attachment, ...] = (), headers: dict[str, str]
) -> EmailMessage:
    """The message as sent: text (and HTML) alternatives, attachments, extra headers (e.g.
    List-Unsubscribe). A header value holding a line break is refused (ValueError), not injected."""
    message = EmailMessage()
    message["From"] = settings.mail_from()
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    # Quoted-printable keeps every line 7-bit ASCII, as SES asks of a raw message.
    message.set_content(text, cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename)
    return message


def send(message: EmailMessage) -> str:
    """Send a message built by `mime`; returns SES's message id. The recipients are its To header."""
    response = aws.client("ses").send_raw_email(Source=settings.mail_from(), RawMessage={"Data": message.as_bytes(policy=SMTP)})
    return response["MessageId"]
