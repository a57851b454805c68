"""A job's money arithmetic: half-up rounding of each amount, totals as sums of rounded amounts,
time in progress from the job log, and the month a completion counts in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from crm.jobs import money
from crm.jobs.models import StatusChange
from crm.jobs.money_models import ChargeLine


@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [("1", 9000, 9000), ("2.5", 333, 833), ("0.5", 1, 1), ("0.499", 1, 0), ("0.001", 500, 1), ("3", 0, 0), ("1.005", 1000, 1005)],
)
def test_a_line_net_is_rounded_half_up_to_the_minor_unit(quantity, unit_price, net):
    assert money.line_net(quantity, unit_price) == net


def test_totals_are_sums_of_rounded_lines():
    lines = money.priced_lines([{"quantity": "0.5", "unit_price": 1}] * 3)  # each 0.5 -> 1
    assert [line["net"] for line in lines] == [1, 1, 1] and sum(line["net"] for line in lines) == 3


def test_labour_and_mileage_costs():
    assert money.labour_cost(95, 3000) == 4750
    assert money.labour_cost(20, 2000) == 667  # 666.67
    assert money.labour_cost(1, 50) == 1  # 0.8333
    assert money.mileage_cost("42.5", 45) == 1913  # 1912.5
    assert money.totals(9833, 5417, 1913) == {"charges": 9833, "labour_cost": 5417, "mileage_cost": 1913, "costs": 7330, "margin": 2503}
    assert money.totals(100, 300, 0)["margin"] == -200


def _status(n: int, at: str, frm: str, to: str) -> dict:
    return {"id": f"{n:026d}", "kind": "status", "at": at, "from_status": frm, "to_status": to}


def test_time_in_progress_counts_each_stretch_until_the_completion():
    log = [
        {"id": f"{0:026d}", "kind": "created", "at": "2030-01-07T08:00:00Z"},
        _status(1, "2030-01-07T09:00:00Z", "scheduled", "in_progress"),
        _status(2, "2030-01-07T09:50:00Z", "in_progress", "paused"),
        _status(3, "2030-01-07T10:10:00Z", "paused", "in_progress"),
    ]
    assert money.worked_minutes(log, datetime(2030, 1, 7, 10, 40, 29, tzinfo=UTC)) == 80
    assert money.worked_minutes(log, datetime(2030, 1, 7, 10, 40, 30, tzinfo=UTC)) == 81  # half a minute rounds up
    assert money.worked_minutes(log[:1], datetime(2030, 1, 7, 10, 0, tzinfo=UTC)) == 0


def test_the_month_is_the_accounts():
    late = datetime(2030, 1, 31, 23, 30, tzinfo=UTC)
    assert money.month_of(late, "UTC") == "2030-01" and money.month_of(late, "Europe/Paris") == "2030-02"


def test_a_line_names_its_bad_fields():
    with pytest.raises(ValidationError) as bad:
        ChargeLine.model_validate({"description": "x", "quantity": "1.2345", "unit_price": -1, "tax_rate": "101"})
    assert {e["loc"] for e in bad.value.errors()} == {("quantity",), ("unit_price",), ("tax_rate",)}
    with pytest.raises(ValidationError):
        ChargeLine.model_validate({"description": "x", "quantity": "1", "unit_price": 1})  # no tax at all
    assert ChargeLine.model_validate({"description": "x", "quantity": "7.125", "unit_price": 1, "tax_rate": "5.5"}).quantity == "7.125"


def test_completion_figures_are_bounded():
    with pytest.raises(ValidationError) as bad:
        StatusChange.model_validate(
            {
                "status": "completed",
                "labour": [{"resource_id": "r", "minutes": 0}],
                "mileage": [{"vehicle_id": "01J0000000000000000000000V", "km": "5000.5"}],
            }
        )
    assert {e["loc"] for e in bad.value.errors()} == {("labour", 0, "minutes"), ("mileage", 0, "km")}
