"""A contract's billing periods: their dates (month ends, quarters, years, an extension), the exact
spread of a total value, the deposit once, and which periods are due on a day."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from crm.finance import contracts_rules as rules

BASE = {"start_date": "2027-01-01", "end_date": "2029-12-31", "frequency": "monthly", "tax_rate": "S20"}


def test_seventy_thousand_over_thirty_six_months_is_1944_44_a_month_and_the_remainder_on_the_last():
    periods = rules.periods({**BASE, "total_value": 7_000_000})
    assert len(periods) == 36
    assert [p.amount for p in periods[:35]] == [194_444] * 35
    assert periods[-1].amount == 194_460
    assert sum(p.amount for p in periods) == 7_000_000


@given(total=st.integers(0, 10**11), count=st.integers(1, 600))
def test_a_spread_always_sums_to_the_total_and_only_the_last_differs(total, count):
    shares = rules.spread(total, count)
    assert sum(shares) == total and len(shares) == count
    assert set(shares[:-1]) <= {total // count} and 0 <= shares[-1] - total // count < count


def test_periods_started_on_the_31st_bill_on_the_month_end_without_drifting():
    periods = rules.periods({**BASE, "start_date": "2027-01-31", "end_date": "2027-05-30", "instalment": 100})
    assert [(p.start.isoformat(), p.end.isoformat()) for p in periods] == [
        ("2027-01-31", "2027-02-27"),
        ("2027-02-28", "2027-03-30"),
        ("2027-03-31", "2027-04-29"),
        ("2027-04-30", "2027-05-30"),
    ]


def test_quarterly_and_yearly_periods_and_a_last_period_cut_at_the_end_date():
    quarters = rules.periods({**BASE, "end_date": "2027-08-15", "frequency": "quarterly", "instalment": 900})
    assert [(p.start.isoformat(), p.end.isoformat()) for p in quarters] == [
        ("2027-01-01", "2027-03-31"),
        ("2027-04-01", "2027-06-30"),
        ("2027-07-01", "2027-08-15"),
    ]
    years = rules.periods({**BASE, "frequency": "yearly", "total_value": 1000})
    assert [(p.start.year, p.amount) for p in years] == [(2027, 333), (2028, 333), (2029, 334)]


def test_an_extension_bills_past_the_minimum_period_at_the_regular_amount():
    periods = rules.periods({**BASE, "end_date": "2027-03-31", "extended_until": "2027-05-31", "total_value": 1000})
    assert [p.amount for p in periods] == [333, 333, 334, 333, 333]
    assert periods[-1].end == date(2027, 5, 31)


def test_the_deposit_is_billed_once_with_the_first_period():
    periods = rules.periods({**BASE, "instalment": 5000, "deposit": 20000})
    assert [p.deposit for p in periods] == [20000] + [0] * 35


def test_due_periods_are_those_started_by_the_day_from_the_next_unbilled_one():
    contract = {**BASE, "instalment": 100, "next_period": 1}
    assert [p.index for p in rules.due(contract, date(2027, 3, 31))] == [1, 2]  # two missed runs: each its own period
    assert rules.due(contract, date(2027, 1, 31)) == []
    assert rules.due({**contract, "start_date": "2028-01-01", "next_period": 0}, date(2027, 6, 1)) == []  # starts in the future
    assert rules.next_unbilled({**contract, "next_period": 36}) is None


def test_a_period_billed_ahead_is_not_due_and_the_next_period_moves_past_it_once_the_gap_is_billed():
    contract = {**BASE, "instalment": 10_000, "next_period": 0}
    ahead = rules.billed(contract, 2, active=True)  # "bill now" of March while January is not billed
    assert (ahead["next_period"], ahead["billed_ahead"], ahead["next_billing_date"]) == (0, [2], "2027-01-01")
    assert [p.index for p in rules.due(ahead, date(2027, 4, 1))] == [0, 1, 3]
    assert rules.is_billed(ahead, 2) and not rules.is_billed(ahead, 1)
    january = rules.billed(ahead, 0, active=True)
    assert (january["next_period"], january["billed_ahead"]) == (1, [2])
    february = rules.billed(january, 1, active=True)  # moves past March, billed already
    assert (february["next_period"], february["billed_ahead"], february["next_billing_date"]) == (3, [], "2027-04-01")


def test_the_last_period_billed_leaves_no_next_billing_date_nor_does_an_inactive_contract():
    contract = {**BASE, "end_date": "2027-02-28", "instalment": 10_000, "next_period": 1}
    assert rules.billed(contract, 1, active=True)["next_billing_date"] is None
    assert rules.billed({**contract, "next_period": 0}, 0, active=False)["next_billing_date"] is None
