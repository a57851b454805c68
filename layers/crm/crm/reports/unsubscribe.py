"""One-click unsubscription from an emailed report, without signing in (RFC 8058).

Each email carries a link of its own: a token naming the tenant, the subscription and the
recipient, signed with HMAC-SHA256 under a key derived from the API's signing key (the cursor key,
read the same way; the derivation keeps a cursor and a token from ever being each other). The token
names the key it was signed with, so a link keeps working across a key rotation for as long as a
cursor does (signing_keys.GRACE); an older link is refused, and the next email carries a new one. The link
goes in the List-Unsubscribe header (with List-Unsubscribe-Post: mail clients POST to it) and in
the body. Opening it (GET) changes nothing, as mail scanners follow links: it answers a page, in the
recipient's language, whose button POSTs to the same link. A POST adds the recipient to the
subscription's unsubscribed addresses: idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from html import escape
from urllib.parse import quote

from crm.contacts import readers
from crm.platform import settings, signing_keys
from crm.platform.errors import NotFound, invalid
from crm.platform.i18n import Reader, tr
from crm.reports import repository as repo
from crm.reports.models import Unsubscribed

PATH = "/reports/unsubscribe"


def _sign(key: signing_keys.Key, payload: bytes) -> str:
    derived = hmac.new(key.secret, b"report-unsubscribe", hashlib.sha256).digest()
    return hmac.new(derived, payload, hashlib.sha256).hexdigest()


def token(tenant: str, subscription_id: str, recipient: str) -> str:
    payload = json.dumps([tenant, subscription_id, recipient], separators=(",", ":")).encode()
    key = signing_keys.signing_key()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{key.id}.{_sign(key, payload)}"


def link(tenant: str, subscription_id: str, recipient: str) -> str:
    return f"{settings.public_api_url()}{PATH}?token={quote(token(tenant, subscription_id, recipient))}"


def _read(text: str) -> tuple[str, str, str]:
    refused = invalid("token", tr("is not an unsubscribe link this service sent"))
    try:
        encoded, key_id, signature = text.split(".")
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        tenant, subscription_id, recipient = json.loads(payload)
    except ValueError:
        raise refused from None
    key = signing_keys.verifying_key(key_id) if signing_keys.is_key_id(key_id) else None
    if key is None or not hmac.compare_digest(signature.encode(), _sign(key, payload).encode()):
        raise refused
    return str(tenant), str(subscription_id), str(recipient)


def _gone() -> NotFound:
    return NotFound(tr("this subscription no longer exists: nothing more will be sent"))


def unsubscribe(text: str) -> Unsubscribed:
    tenant, subscription_id, recipient = _read(text)
    subscription = repo.get(tenant, subscription_id)
    if subscription is None or not repo.unsubscribe(tenant, subscription_id, recipient):
        raise _gone()
    return Unsubscribed(report=subscription["report"], recipient=recipient)


def confirmation(text: str) -> str:
    """The page the link opens: the report and the address, and a button that unsubscribes (a
    POST to the same link), or that the address receives it no more. Reads only."""
    tenant, subscription_id, recipient = _read(text)
    subscription = repo.get(tenant, subscription_id)
    if subscription is None:
        raise _gone()
    from crm.reports.catalogue import REPORTS

    reader = readers.readers_at(tenant, [recipient])[recipient]
    title = reader.text(REPORTS[subscription["report"]].title)
    if recipient in (subscription.get("unsubscribed") or ()):
        said = reader.text(tr('{recipient} no longer receives the report "{title}".', recipient=recipient, title=title))
        return _page(reader, f"<p>{escape(said)}</p>")
    said = reader.text(tr('{recipient} receives the report "{title}" by email.', recipient=recipient, title=title))
    button = reader.text(tr("Stop sending it to me"))
    # The form posts to this very link (a relative URL keeps the stage's path), as mail clients do.
    form = (
        f'<form method="post" action="unsubscribe?token={escape(quote(text))}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(button)}</button></form>'
    )
    return _page(reader, f"<p>{escape(said)}</p>{form}")


def unsubscribe_page(text: str) -> str:
    """Unsubscribe, then the page that says so (the confirmation page's form, posted from a browser)."""
    unsubscribe(text)
    return confirmation(text)


def _page(reader: Reader, body: str) -> str:
    heading = escape(reader.text(tr("Report emails")))
    return (
        f'<!doctype html><html lang="{escape(reader.locale.replace("_", "-"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading}</title><style>body{{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em}}</style>"
        f"</head><body><h1>{heading}</h1>{body}</body></html>"
    )
