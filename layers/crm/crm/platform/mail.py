"""Sending email through SES."""

from __future__ import annotations

from crm.platform import aws, settings


def deliverable(address: str) -> bool:
    """False for addresses under the reserved .invalid TLD (RFC 2606), e.g. an erased person's."""
    return not address.lower().endswith(".invalid")


def send(to: list[str], subject: str, text: str) -> str:
    """Send a plain-text email from the account's verified sender; returns SES's message id."""
    response = aws.client("ses").send_email(
        Source=settings.mail_from(),
        Destination={"ToAddresses": to},
        Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
    )
    return response["MessageId"]
