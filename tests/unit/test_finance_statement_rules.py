"""The statement of account's arithmetic: ageing buckets at their edges, the opening and running
balance, what each invoice still had due at the statement's end, the period's bounds; and how a
job's lines name a finance tax rate."""

from __future__ import annotations

from datetime import date

import pytest

from crm.finance import statement_rules as rules
from crm.finance.job_invoices import document_lines
from crm.finance.models import TaxRate
from crm.platform.errors import Invalid

END = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (date(2026, 4, 30), "current"),
        (date(2026, 3, 31), "current"),  # due that day: not late yet
        (date(2026, 3, 30), "days_1_30"),
        (date(2026, 3, 1), "days_1_30"),  # 30 days
        (date(2026, 2, 28), "days_31_60"),  # 31 days
        (date(2026, 1, 30), "days_31_60"),  # 60 days
        (date(2026, 1, 29), "days_61_90"),
        (date(2025, 12, 31), "days_61_90"),  # 90 days
        (date(2025, 12, 30), "over_90"),
    ],
)
def test_ageing_buckets_by_whole_days_past_due(due, expected):
    assert rules.bucket(due, END) == expected


def test_ageing_sums_each_bucket_and_their_total():
    owed = [{"due_date": "2026-04-04", "due": 100}, {"due_date": "2026-02-09", "due": 250}, {"due_date": "2026-02-10", "due": 5}]
    assert rules.ageing(owed, END) == {"current": 100, "days_1_30": 0, "days_31_60": 255, "days_61_90": 0, "over_90": 0, "total": 355}


def test_opening_and_running_balance():
    entries = [{"delta": 1000}, {"delta": -300}, {"delta": -800}]
    assert rules.opening_balance(2500, entries) == 2600  # the balance now less every entry from the period's start
    rows = rules.running(2600, entries)
    assert [(r["debit"], r["credit"], r["balance"]) for r in rows] == [(1000, 0, 3600), (0, 300, 3300), (0, 800, 2500)]


def test_an_invoice_settled_after_the_end_was_still_due_at_the_end():
    open_now = [
        {"id": "A", "number": "INV-1", "issue_date": "2026-01-10", "due_date": "2026-02-09", "due": 700},
        {"id": "C", "number": "INV-3", "issue_date": "2026-04-02", "due_date": "2026-05-02", "due": 900},  # after the end
    ]
    entries = [
        {"date": "2026-03-10", "invoice_id": "A", "invoice_issue_date": "2026-01-10", "amount": 300},  # within: already counted
        {"date": "2026-04-05", "invoice_id": "A", "invoice_issue_date": "2026-01-10", "amount": 200},
        {"date": "2026-04-15", "invoice_id": "B", "invoice_number": "INV-2", "invoice_issue_date": "2026-03-05", "amount": 1440},
        {"date": "2026-04-20", "invoice_id": "C", "invoice_issue_date": "2026-04-02", "amount": 100},
    ]
    entries[2]["invoice_due_date"] = "2026-04-04"
    owed = rules.owed_at(open_now, entries, "2026-03-31")
    assert [(o["invoice_id"], o["due"], o["due_date"]) for o in owed] == [("A", 900, "2026-02-09"), ("B", 1440, "2026-04-04")]


def test_a_period_ends_after_it_starts_and_spans_at_most_five_years():
    rules.check_period(date(2021, 3, 31), date(2026, 3, 31))
    with pytest.raises(Invalid) as reversed_period:
        rules.check_period(date(2026, 3, 31), date(2026, 3, 30))
    assert [e.field for e in reversed_period.value.errors] == ["until"]
    with pytest.raises(Invalid) as too_long:
        rules.check_period(date(2021, 3, 28), date(2026, 3, 31))
    assert [e.field for e in too_long.value.errors] == ["since"]


RATES = [
    TaxRate(code="S20", name="VAT 20", rate="20"),
    TaxRate(code="R20", name="Other 20", rate="20"),
    TaxRate(code="S5", name="VAT 5.5", rate="5.5"),
    TaxRate(code="Z", name="Zero", rate="0", category="Z"),
]


def test_a_job_line_names_a_finance_rate_by_code_or_by_its_one_matching_percentage():
    lines = [
        {"description": "Code", "quantity": "1", "unit_price": 100, "tax_rate_id": "R20", "nominal_code": "4000"},
        {"description": "Percent", "quantity": "2", "unit_price": 100, "tax_rate": "5.50"},
        {"description": "Zero", "quantity": "1", "unit_price": 100, "tax_rate": "0", "stock_item_id": "ITEM"},
    ]
    out, problems = document_lines(lines, RATES)
    assert problems == []
    assert [line["tax_rate"] for line in out] == ["R20", "S5", "Z"]
    assert out[0]["nominal_code"] == "4000" and out[2]["item_id"] == "ITEM"


def test_an_unknown_code_or_a_percentage_matching_none_or_several_rates_names_the_line():
    lines = [
        {"description": "Ambiguous", "quantity": "1", "unit_price": 100, "tax_rate": "20"},
        {"description": "Fine", "quantity": "1", "unit_price": 100, "tax_rate_id": "S5"},
        {"description": "Gone", "quantity": "1", "unit_price": 100, "tax_rate_id": "OLD"},
        {"description": "None", "quantity": "1", "unit_price": 100, "tax_rate": "7"},
    ]
    out, problems = document_lines(lines, RATES)
    assert [p.field for p in problems] == ["lines.0.tax_rate", "lines.2.tax_rate_id", "lines.3.tax_rate"]
    assert "Gone" in problems[1].message and len(out) == 1
