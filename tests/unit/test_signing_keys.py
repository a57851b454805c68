"""The cursor keys' ring: which key verifies a cursor when, and when a rotation is allowed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from crm.platform import pagination, signing_keys
from crm.platform.signing_keys import GRACE, KeyRingError, key, parse, rotated

FIRST, SECOND, THIRD = (
    "first-key-0123456789abcdef0123456789",
    "second-key-0123456789abcdef012345678",
    "third-key-0123456789abcdef0123456789",
)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_key_is_named_by_a_hash_never_by_itself():
    first = key(FIRST)
    assert signing_keys.is_key_id(first.id) and first.id not in FIRST and first.id != key(SECOND).id


def test_a_parameter_created_by_hand_is_a_ring_of_one_key():
    ring = parse(FIRST + "\n")
    assert ring.current == key(FIRST) and ring.previous is None
    assert ring.verifying(key(FIRST).id, NOW) == key(FIRST)


def test_after_a_rotation_the_new_key_signs_and_the_old_one_verifies_for_the_grace_period():
    ring = parse(rotated(FIRST, SECOND, NOW))
    assert ring.current == key(SECOND)
    assert ring.verifying(key(FIRST).id, NOW + GRACE - timedelta(seconds=1)) == key(FIRST)
    assert ring.verifying(key(FIRST).id, NOW + GRACE) is None
    assert ring.verifying(key(SECOND).id, NOW + 10 * GRACE) == key(SECOND)


def test_the_grace_period_outlives_every_cursor():
    assert GRACE > pagination.LIFETIME


def test_a_second_rotation_waits_for_the_grace_period_so_no_live_cursor_is_cut_off():
    value = rotated(FIRST, SECOND, NOW)
    with pytest.raises(KeyRingError, match="rotate again"):
        rotated(value, THIRD, NOW + GRACE - timedelta(minutes=1))
    assert parse(rotated(value, THIRD, NOW + GRACE)).previous == key(SECOND)
    assert parse(rotated(value, THIRD, NOW, force=True)).current == key(THIRD)


def test_a_rotation_needs_a_new_long_key():
    with pytest.raises(KeyRingError, match="differ"):
        rotated(FIRST, FIRST, NOW)
    with pytest.raises(KeyRingError, match="at least"):
        rotated(FIRST, "short", NOW)


@pytest.mark.parametrize("value", ["short", "{}", json.dumps({"current": FIRST, "previous": SECOND}), "{not json"])
def test_a_parameter_that_is_not_a_ring_is_refused(value):
    with pytest.raises(KeyRingError):
        parse(value)
