"""Exact money of a document: lines rounded half-up once, tax once per VAT breakdown (EN 16931
BR-CO-17), totals the sums of what is shown; and the lifecycle's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.finance import lifecycle, money
from crm.platform.errors import Conflict


def line(quantity: str, unit_price: int, discount: str = "0", category: str = "S", rate: str = "20") -> money.LineAmounts:
    return money.LineAmounts(Decimal(quantity), unit_price, Decimal(discount), category, Decimal(rate))


def test_a_line_is_rounded_half_up_to_the_minor_unit():
    assert money.line_net(line("1.5", 3333)) == 5000  # 4999.5 -> 5000
    assert money.line_net(line("0.001", 500)) == 1  # 0.5 -> 1
    assert money.line_net(line("0.001", 499)) == 0
    assert money.line_net(line("3", 1999, discount="12.5")) == 5247  # 5247.375
    assert money.line_net(line("2", 1000, discount="100")) == 0


def test_the_tax_of_a_rate_is_computed_once_on_its_lines_sum():
    # Three lines of 3 cents at 20 %: taxed line by line, 3 x round(0.6) = 3 cents; taxed once on
    # the breakdown's 9 cents, round(1.8) = 2 cents, as EN 16931 computes it.
    total = money.totals([line("1", 3), line("1", 3), line("1", 3)])
    assert total.nets == (3, 3, 3)
    assert total.net == 9
    assert [(t.category, t.rate, t.taxable, t.tax) for t in total.taxes] == [("S", Decimal("20"), 9, 2)]
    assert total.gross == 11


def test_totals_per_rate_and_category():
    total = money.totals([line("2", 10000), line("1", 5050, rate="5.5"), line("1", 2000, category="E", rate="0"), line("1", 999)])
    assert [(t.category, format(t.rate, "f"), t.taxable, t.tax) for t in total.taxes] == [
        ("S", "20", 20999, 4200),  # 4199.8 -> 4200
        ("S", "5.5", 5050, 278),  # 277.75 -> 278
        ("E", "0", 2000, 0),
    ]
    assert total.net == 28049 and total.tax == 4478 and total.gross == 32527
    assert total.net == sum(total.nets) and total.tax == sum(t.tax for t in total.taxes)


def test_the_same_rate_written_two_ways_is_one_breakdown():
    total = money.totals([line("1", 100, rate="20"), line("1", 100, rate="20.00")])
    assert len(total.taxes) == 1 and total.taxes[0].taxable == 200


def test_amount_limits():
    assert money.over_limit([1, money.MAX_AMOUNT, money.MAX_AMOUNT + 1, -money.MAX_AMOUNT - 1]) == [2, 3]


@pytest.mark.parametrize(
    ("paid", "credited", "status"),
    [(0, 0, "unpaid"), (100, 0, "part_paid"), (0, 100, "part_paid"), (1200, 0, "paid"), (200, 1000, "paid"), (0, 1200, "credited")],
)
def test_payment_status(paid, credited, status):
    assert money.payment_status(1200, paid, credited) == status


def test_only_allowed_moves():
    lifecycle.check_move("quote", "issued", "accepted")
    lifecycle.check_move("quote", "sent", "rejected")
    lifecycle.check_move("invoice", "issued", "sent")
    for doc_type, status, to in [("invoice", "issued", "accepted"), ("quote", "issued", "rejected"), ("invoice", "draft", "sent")]:
        with pytest.raises(Conflict):
            lifecycle.check_move(doc_type, status, to)


def test_only_a_draft_is_edited():
    lifecycle.check_draft({"status": "draft"}, "edited")
    with pytest.raises(Conflict):
        lifecycle.check_draft({"status": "issued", "number": "INV-000001"}, "edited")
