"""Opaque list cursors, signed and bound to the tenant and the query that produced them.

A cursor from one query (or one tenant) replayed on another is refused rather than silently
starting somewhere else. A cursor lives LIFETIME: it names the key that signed it
(crm.platform.signing_keys), and keys are honoured for longer than that after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from crm.platform import clock, signing_keys
from crm.platform.errors import invalid
from crm.platform.i18n import tr

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
LIFETIME = timedelta(hours=24)
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _fingerprint(tenant: str, query: dict[str, Any]) -> str:
    canonical = json.dumps([tenant, query], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sign(key: signing_keys.Key, payload: bytes) -> str:
    return hmac.new(key.secret, payload, hashlib.sha256).hexdigest()[:32]


def encode(position: dict[str, Any] | None, tenant: str, query: dict[str, Any]) -> str | None:
    if not position:
        return None
    key = signing_keys.signing_key()
    issued = int(clock.now().timestamp())
    payload = json.dumps({"p": position, "q": _fingerprint(tenant, query), "t": issued}, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{key.id}.{_sign(key, payload)}"


def decode(cursor: str | None, tenant: str, query: dict[str, Any]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        token, key_id, signature = cursor.split(".")
        if not signing_keys.is_key_id(key_id):
            raise ValueError(key_id)
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(payload)
    except ValueError:
        raise invalid("cursor", tr("is not a cursor this API issued")) from None
    key = signing_keys.verifying_key(key_id)
    if key is None:
        raise invalid("cursor", tr("has expired (its signing key was retired); start again without a cursor"))
    # Compared as bytes: a signature with non-ASCII characters is simply not ours.
    if not hmac.compare_digest(signature.encode(), _sign(key, payload).encode()) or not isinstance(data, dict):
        raise invalid("cursor", tr("is not a cursor this API issued"))
    if not isinstance(data.get("t"), int) or clock.now().timestamp() - data["t"] > LIFETIME.total_seconds():
        raise invalid("cursor", tr("has expired; start again without a cursor"))
    if data.get("q") != _fingerprint(tenant, query):
        raise invalid("cursor", tr("belongs to a different query; start again without a cursor"))
    return data["p"]
