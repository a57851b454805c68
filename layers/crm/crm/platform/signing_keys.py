"""The keys that sign list cursors: a SecureString SSM parameter read through Powertools Parameters
(cached), never a function's environment.

The parameter holds one key as first created (any string of MIN_LENGTH characters or more) or, once
rotated, JSON `{"current": key, "previous": key, "rotated_at": ISO 8601}`. A cursor is signed with
the current key and names it by a short id (a hash of the key, never the key). It verifies with the
key it names while that key is current, or previous and rotated less than GRACE ago. GRACE outlives
a cursor (pagination.LIFETIME), so a rotation breaks no live cursor, and a cursor signed with a key
retired longer ago is refused.

A container keeps the parameter for MAX_AGE. A cursor naming a key it does not know (signed by a
container that read the parameter after a rotation) makes it read the parameter again, at most once
per REFRESH_INTERVAL, so forged key ids cannot turn requests into SSM calls.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from crm.platform import clock, settings

MIN_LENGTH = 32
KEY_ID_LENGTH = 8
GRACE = timedelta(hours=48)
MAX_AGE = 300  # seconds
REFRESH_INTERVAL = 60.0  # seconds


class KeyRingError(ValueError):
    """The parameter's value is not a key ring this module wrote, or a rotation would cut cursors off."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def key(secret: str) -> Key:
    if len(secret) < MIN_LENGTH:
        raise KeyRingError(f"a cursor signing key has at least {MIN_LENGTH} characters")
    return Key(hashlib.sha256(b"crm-cursor-key:" + secret.encode()).hexdigest()[:KEY_ID_LENGTH], secret.encode())


def is_key_id(text: str) -> bool:
    return len(text) == KEY_ID_LENGTH and all(c in "0123456789abcdef" for c in text)


@dataclass(frozen=True)
class KeyRing:
    current: Key
    previous: Key | None = None
    rotated_at: datetime | None = None

    def verifying(self, key_id: str, now: datetime) -> Key | None:
        """The key a cursor naming `key_id` verifies with, if that key is still honoured."""
        if key_id == self.current.id:
            return self.current
        if self.previous and self.rotated_at and key_id == self.previous.id and now - self.rotated_at < GRACE:
            return self.previous
        return None


def parse(value: str) -> KeyRing:
    if not value.lstrip().startswith("{"):
        return KeyRing(key(value.strip()))
    try:
        data = json.loads(value)
        rotated_at = datetime.fromisoformat(data["rotated_at"].replace("Z", "+00:00"))
        return KeyRing(key(data["current"]), key(data["previous"]), rotated_at)
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise KeyRingError(f"the cursor keys parameter is not a key ring: {e}") from None


def rotated(value: str, new_secret: str, now: datetime, *, force: bool = False) -> str:
    """The parameter's value after a rotation: `new_secret` current, the current key previous.

    Refused while the previous key is still in its grace period (unless `force`): retiring it early
    would make the cursors signed with it fail before they expire."""
    ring, new = parse(value), key(new_secret)
    if new.id in {ring.current.id, ring.previous.id if ring.previous else None}:
        raise KeyRingError("the new key must differ from the keys in use")
    if not force and ring.previous and ring.rotated_at and now - ring.rotated_at < GRACE:
        raise KeyRingError(f"the last rotation was at {clock.iso(ring.rotated_at)}; rotate again once {GRACE} have passed since")
    return json.dumps({"current": new_secret, "previous": ring.current.secret.decode(), "rotated_at": clock.iso(now)})


# ---------------------------------------------------------------- in a function


class _Refreshes:
    """When the parameter was last read again for a key id the ring did not know."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last: float | None = None

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if self.last is not None and now - self.last < REFRESH_INTERVAL:
                return False
            self.last = now
            return True


@cache
def _refreshes() -> _Refreshes:
    return _Refreshes()


def _ring(force: bool = False) -> KeyRing:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(settings.cursor_keys_parameter(), decrypt=True, max_age=MAX_AGE, force_fetch=force)
    return parse(str(value))


def signing_key() -> Key:
    return _ring().current


def verifying_key(key_id: str) -> Key | None:
    """The key to verify a cursor naming `key_id` with, or None if no honoured key has that id."""
    now = clock.now()
    found = _ring().verifying(key_id, now)
    if found is None and _refreshes().due():
        found = _ring(force=True).verifying(key_id, now)
    return found
