"""One-click unsubscription from an emailed report, without signing in (RFC 8058).

Each email carries a link of its own: a token naming the tenant, the subscription and the
recipient, signed with HMAC-SHA256 under a key derived from the API's signing key (the cursor key,
read the same way; the derivation keeps a cursor and a token from ever being each other). The token
names the key it was signed with, so a link keeps working across a key rotation for as long as a
cursor does (signing_keys.GRACE); an older link is refused, and the next email carries a new one. The link
goes in the List-Unsubscribe header (with List-Unsubscribe-Post: mail clients POST to it) and in
the body. Using it adds the recipient to the subscription's unsubscribed addresses: idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import quote

from crm.platform import settings, signing_keys
from crm.platform.errors import NotFound, invalid
from crm.platform.i18n import tr
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


def unsubscribe(text: str) -> Unsubscribed:
    tenant, subscription_id, recipient = _read(text)
    subscription = repo.get(tenant, subscription_id)
    if subscription is None or not repo.unsubscribe(tenant, subscription_id, recipient):
        raise NotFound(tr("this subscription no longer exists: nothing more will be sent"))
    return Unsubscribed(report=subscription["report"], recipient=recipient)
