"""Pure rules of stock: locations, quantities, availability and reorder suggestions (no AWS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

LOCATION = re.compile(r"^(contact|vehicle):([0-9A-HJKMNP-TV-Z]{26})$")
COUNTED = "unit"  # the unit of measure counted in whole numbers (equipment always is)


@dataclass(frozen=True)
class Location:
    """Where stock is: a contact (warehouse, supplier, customer site) or a vehicle (a van)."""

    kind: str  # contact | vehicle
    id: str

    @classmethod
    def parse(cls, text: str) -> Location:
        match = LOCATION.match(text)
        if not match:
            raise ValueError(text)
        return cls(match.group(1), match.group(2))

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def quantity(value: float | int | Decimal) -> Decimal:
    """A quantity as an exact decimal (3 places at most; floats come from JSON)."""
    return Decimal(str(value)).quantize(Decimal("0.001")).normalize() + 0


def shown(value: Decimal) -> str:
    """A quantity as a person reads it: 12, 2.5 (never 12.0 or 1.2E+1)."""
    return format(value.normalize() + 0, "f")


def number(value: Decimal) -> int | float:
    """A quantity for JSON: a whole number as an integer."""
    return int(value) if whole(value) else float(value)


def whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def available(on_hand: Decimal, reserved: Decimal) -> Decimal:
    return on_hand - reserved


def below_point(levels: dict | None, on_hand: Decimal, reserved: Decimal) -> bool:
    """Whether a balance belongs in the reorder report: it has a reorder point and its available
    quantity is at or below it."""
    return levels is not None and bool(levels) and available(on_hand, reserved) <= Decimal(str(levels["point"]))


def suggested(levels: dict, on_hand: Decimal, reserved: Decimal) -> Decimal:
    """max(reorder quantity, maximum - available), rounded up to the pack size when one is set."""
    want = max(Decimal(str(levels.get("quantity") or 0)), Decimal(str(levels.get("maximum") or 0)) - available(on_hand, reserved))
    pack = Decimal(str(levels.get("pack_size") or 0))
    if pack > 0:
        want = (want / pack).to_integral_value(rounding=ROUND_CEILING) * pack
    return max(want, Decimal(0))


def after(on_hand: Decimal, delta: Decimal, allow_negative: bool) -> Decimal | None:
    """The balance after moving `delta`, or None when it would go below zero (and that is not allowed)."""
    result = on_hand + delta
    return result if result >= 0 or allow_negative or delta >= 0 else None
