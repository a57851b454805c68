"""Opaque list cursors, signed and bound to the tenant and the query that produced them.

A cursor from one query (or one tenant) replayed on another is refused rather than silently
starting somewhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from crm.platform import settings
from crm.platform.errors import invalid
from crm.platform.i18n import tr

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _fingerprint(tenant: str, query: dict[str, Any]) -> str:
    canonical = json.dumps([tenant, query], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sign(payload: bytes) -> str:
    return hmac.new(settings.cursor_signing_key(), payload, hashlib.sha256).hexdigest()[:32]


def encode(position: dict[str, Any] | None, tenant: str, query: dict[str, Any]) -> str | None:
    if not position:
        return None
    payload = json.dumps({"p": position, "q": _fingerprint(tenant, query)}, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{_sign(payload)}"


def decode(cursor: str | None, tenant: str, query: dict[str, Any]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        token, signature = cursor.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(payload)
    except ValueError:
        raise invalid("cursor", tr("is not a cursor this API issued")) from None
    # Compared as bytes: a signature with non-ASCII characters is simply not ours.
    if not hmac.compare_digest(signature.encode(), _sign(payload).encode()) or not isinstance(data, dict):
        raise invalid("cursor", tr("is not a cursor this API issued"))
    if data.get("q") != _fingerprint(tenant, query):
        raise invalid("cursor", tr("belongs to a different query; start again without a cursor"))
    return data["p"]
