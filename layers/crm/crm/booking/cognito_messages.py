"""The emails Cognito sends booking-site customers, written in their language: the customer user
pool's CustomMessage trigger (Cognito calls it before sending; whatever it returns is sent).

Only the forgot-password code is the product's to write (invitations are the booking service's
own emails; the pool never sends Cognito's). Its language: the one the page asked in (the
ForgotPassword call's ClientMetadata `locale`, the customer's choice on the site), else the
person's, else their account's. Cognito sends the message as HTML and replaces `{####}` (the
request's codeParameter) with the code.
"""

from __future__ import annotations

import dataclasses
from html import escape

from crm.contacts import service as contacts
from crm.people import service as people
from crm.people.readers import person_reader
from crm.platform.errors import NotFound
from crm.platform.i18n import Reader, canonical, tr

FORGOT_PASSWORD = "CustomMessage_ForgotPassword"  # noqa: S105 - a trigger source, not a secret


def _reader(tenant: str, person: dict, asked: str | None) -> Reader:
    reader = person_reader(tenant, person)
    return dataclasses.replace(reader, locale=asked) if asked else reader


def _found(get, tenant: str, item_id: str | None) -> dict:
    """The person or contact, or {} when it is gone (the email is still written, the account's way)."""
    try:
        return get(tenant, item_id) if item_id else {}
    except NotFound:
        return {}


def forgot_password(event: dict) -> dict:
    """The trigger's answer: `event` with response.emailSubject and emailMessage set for the
    forgot-password code, and left as it is for every other message (Cognito's own)."""
    if event.get("triggerSource") != FORGOT_PASSWORD:
        return event
    request = event.get("request") or {}
    attributes = request.get("userAttributes") or {}
    tenant, person_id, contact_id = attributes.get("custom:tenant"), attributes.get("custom:person_id"), attributes.get("custom:contact_id")
    if not tenant:
        return event  # not a booking-site customer: Cognito's own message
    person, contact = _found(people.get, tenant, person_id), _found(contacts.get, tenant, contact_id)
    reader = _reader(tenant, person, canonical((request.get("clientMetadata") or {}).get("locale")))
    company = contact.get("name", "")
    paragraphs = [
        tr("Hello {name},", name=person.get("name", "")),
        tr("Someone asked to choose a new password for your access to {company}'s booking site.", company=company),
        tr("Your code: {code}", code=request.get("codeParameter", "{####}")),
        tr(
            "Enter it on the booking site with your new password. If you did not ask for it, ignore this email: your password stays as it is."
        ),
    ]
    event["response"] = {
        **(event.get("response") or {}),
        "emailSubject": reader.text(tr("Your password reset code for {company}'s booking site", company=company)),
        "emailMessage": "".join(f"<p>{escape(reader.text(p))}</p>" for p in paragraphs),
    }
    return event
