"""Exact money of a document: integer minor units, rates as decimals, explicit half-up rounding.

- A line's net is quantity x unit price x (1 - discount %), rounded half-up to the minor unit once.
- The net total is the sum of the rounded line nets.
- The tax of each VAT breakdown (category and rate) is computed once, on the sum of that breakdown's
  line nets, and rounded half-up: EN 16931 BR-CO-17 (a category's tax amount is its taxable amount
  times its rate), so a Factur-X of the document validates to the cent.
- The gross is the net total plus every breakdown's tax.

Pure functions: no AWS, no formatting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
# The most a line's net, and a document's gross, may be: 999,999,999.99 in a 2-digit currency.
MAX_AMOUNT = 99_999_999_999


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: int  # minor units
    discount: Decimal  # percent, 0 to 100
    tax_category: str  # EN 16931 VAT category code: S, Z, E, AE, K, G, O
    tax_rate: Decimal  # percent


def line_net(line: LineAmounts) -> int:
    return half_up(line.quantity * line.unit_price * (HUNDRED - line.discount) / HUNDRED)


@dataclass(frozen=True)
class TaxBreakdown:
    category: str
    rate: Decimal
    taxable: int
    tax: int


@dataclass(frozen=True)
class Totals:
    nets: tuple[int, ...]  # each line's rounded net, in the lines' order
    net: int
    taxes: tuple[TaxBreakdown, ...]  # one per (category, rate), in the order first met
    tax: int
    gross: int


def breakdown(category: str, rate: Decimal, taxable: int) -> TaxBreakdown:
    return TaxBreakdown(category, rate, taxable, half_up(Decimal(taxable) * rate / HUNDRED))


def totals(lines: Sequence[LineAmounts]) -> Totals:
    nets = tuple(line_net(line) for line in lines)
    taxable: dict[tuple[str, Decimal], int] = {}
    for line, net in zip(lines, nets, strict=True):
        key = (line.tax_category, line.tax_rate.normalize())
        taxable[key] = taxable.get(key, 0) + net
    taxes = tuple(breakdown(category, rate, amount) for (category, rate), amount in taxable.items())
    net, tax = sum(nets), sum(t.tax for t in taxes)
    return Totals(nets, net, taxes, tax, net + tax)


def over_limit(amounts: Iterable[int]) -> list[int]:
    """Indexes of the amounts past MAX_AMOUNT."""
    return [i for i, amount in enumerate(amounts) if abs(amount) > MAX_AMOUNT]


def payment_status(gross: int, paid: int, credited: int) -> str:
    """unpaid, part_paid or paid by what is settled (paid or credited) against the gross; credited
    when credit notes settled it all with nothing paid."""
    settled = paid + credited
    if settled >= gross:
        return "paid" if paid > 0 or credited == 0 else "credited"
    return "part_paid" if settled > 0 else "unpaid"
