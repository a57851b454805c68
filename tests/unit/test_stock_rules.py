"""Stock's pure rules: where stock is, quantities, availability, and the reorder suggestion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.stock import rules


def test_a_location_is_a_contact_or_a_vehicle_by_id():
    where = rules.Location.parse("vehicle:01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (where.kind, where.id, str(where)) == ("vehicle", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "vehicle:01ARZ3NDEKTSV4RRFFQ69G5FAV")
    for bad in ("van:01ARZ3NDEKTSV4RRFFQ69G5FAV", "contact:", "contact:01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FAV"):
        with pytest.raises(ValueError):
            rules.Location.parse(bad)


def test_quantities_are_exact_decimals():
    assert rules.quantity(0.1) + rules.quantity(0.2) == Decimal("0.3")
    assert rules.whole(rules.quantity(3.0)) and not rules.whole(rules.quantity(1.5))


@pytest.mark.parametrize(
    ("levels", "on_hand", "reserved", "expected"),
    [
        ({"point": 5, "quantity": 10}, 4, 0, 10),  # the reorder quantity
        ({"point": 5, "maximum": 24}, 4, 0, 20),  # fill up to the maximum
        ({"point": 5, "quantity": 10, "maximum": 24}, 4, 2, 22),  # the larger; reserved counts against available
        ({"point": 5, "quantity": 10, "maximum": 24, "pack_size": 6}, 4, 0, 24),  # 20 rounded up to packs of 6
        ({"point": 5, "quantity": 0.5, "pack_size": 0.25}, 1, 0, 0.5),  # fractional units and packs
        ({"point": 5, "maximum": 3}, 4, 0, 0),  # already above the maximum: nothing to order
    ],
)
def test_the_suggested_quantity(levels, on_hand, reserved, expected):
    assert rules.suggested(levels, Decimal(on_hand), Decimal(reserved)) == Decimal(str(expected))


def test_below_point_is_at_or_below_the_available_quantity():
    levels = {"point": 5, "quantity": 10}
    assert rules.below_point(levels, Decimal(5), Decimal(0))
    assert rules.below_point(levels, Decimal(8), Decimal(3))
    assert not rules.below_point(levels, Decimal(6), Decimal(0))
    assert not rules.below_point(None, Decimal(0), Decimal(0))


def test_a_balance_goes_below_zero_only_when_allowed():
    assert rules.after(Decimal(2), Decimal(-2), allow_negative=False) == 0
    assert rules.after(Decimal(2), Decimal(-3), allow_negative=False) is None
    assert rules.after(Decimal(2), Decimal(-3), allow_negative=True) == -1
    assert rules.after(Decimal(-1), Decimal(1), allow_negative=False) == 0  # what comes in is always welcome
