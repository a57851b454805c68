"""The rules the pipeline and the reports stand on: what a probability weighs, the summary cells an
opportunity moves between when it changes, which index a selection reads, and month arithmetic."""

from __future__ import annotations

import pytest

from crm.sales import rules


def opp(**fields) -> dict:
    base = {
        "id": "01J0000000000000000000000A",
        "status": "open",
        "stage_id": "S1",
        "probability_id": "P1",
        "owner": "ann@x.example",
        "expected_value": 1000,
        "close_month": "2027-03",
        "created_at": "2026-12-01T09:00:00Z",
    }
    return base | fields


def moves(old, new) -> dict:
    return {(d.cell[0], d.cell[1]): (d.count, d.value) for d in rules.deltas(old, new)}


def test_a_label_without_a_percentage_weighs_half_and_weighting_rounds_half_up():
    assert rules.weight({"label": "Tiède"}) == 50
    assert rules.weight({"label": "Froid", "percent": 0}) == 0
    assert rules.weighted(33333, 50) == 16667
    assert rules.weighted(33332, 50) == 16666
    assert rules.weighted(1, 25) == 0 and rules.weighted(2, 25) == 1


def test_a_new_open_opportunity_counts_in_the_pipeline_projection_and_opened_flow():
    assert moves(None, opp()) == {
        (("PIPE",), "S1"): (1, 1000),
        (("PROJ", "ALL"), "2027-03#P1"): (1, 1000),
        (("PROJ", "OWNER", "ann@x.example"), "2027-03#P1"): (1, 1000),
        (("PROJ", "STAGE", "S1"), "2027-03#P1"): (1, 1000),
        (("FLOW", "ALL"), "2026-12#opened"): (1, 1000),
        (("FLOW", "OWNER", "ann@x.example"), "2026-12#opened"): (1, 1000),
    }


def test_winning_leaves_the_pipeline_and_projection_and_counts_as_won_in_its_month():
    won = opp(status="won", closed_at="2027-02-15T10:00:00Z")
    assert moves(opp(), won) == {
        (("PIPE",), "S1"): (-1, -1000),
        (("PROJ", "ALL"), "2027-03#P1"): (-1, -1000),
        (("PROJ", "OWNER", "ann@x.example"), "2027-03#P1"): (-1, -1000),
        (("PROJ", "STAGE", "S1"), "2027-03#P1"): (-1, -1000),
        (("FLOW", "ALL"), "2027-02#won"): (1, 1000),
        (("FLOW", "OWNER", "ann@x.example"), "2027-02#won"): (1, 1000),
    }


def test_a_new_value_moves_only_values_and_an_unchanged_opportunity_moves_nothing():
    changed = moves(opp(), opp(expected_value=1500))
    assert set(changed.values()) == {(0, 500)}
    assert moves(opp(), opp(subject="renamed")) == {}


def test_a_new_owner_moves_the_owner_cells_only():
    changed = moves(opp(), opp(owner="bob@x.example"))
    assert {cell[0] for cell in changed} == {
        ("PROJ", "OWNER", "ann@x.example"),
        ("PROJ", "OWNER", "bob@x.example"),
        ("FLOW", "OWNER", "ann@x.example"),
        ("FLOW", "OWNER", "bob@x.example"),
    }


def test_an_open_opportunity_without_close_month_is_in_the_pipeline_not_the_projection():
    assert {cell[0][0] for cell in moves(None, opp(close_month=None))} == {"PIPE", "FLOW"}


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, ("status", "open")),
        ({"status": "won"}, ("status", "won")),
        ({"status": "won", "stage_id": "S1"}, ("stage_id", "S1")),
        ({"owner": "a@x.example", "stage_id": "S1"}, ("owner", "a@x.example")),
        ({"tag": "T", "owner": "a@x.example"}, ("tag", "T")),
        ({"contact_id": "C", "tag": "T"}, ("contact_id", "C")),
    ],
)
def test_a_selection_reads_its_most_selective_index(filters, index):
    assert rules.Selection(**filters).index() == index


def test_a_selection_matches_every_filter_at_once():
    selection = rules.Selection(status="open", value_min=500, value_max=1000, due_from="2027-01-01", due_to="2027-01-31", tag="T")
    assert selection.matches(opp(due_date="2027-01-31", tags=["T"]))
    assert not selection.matches(opp(due_date="2027-02-01", tags=["T"]))
    assert not selection.matches(opp(due_date="2027-01-31", tags=[]))
    assert not selection.matches(opp(due_date="2027-01-31", tags=["T"], expected_value=1001))
    assert not selection.matches(opp(tags=["T"]))  # no due date is outside any due period


def test_months_cross_years():
    assert rules.months("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert rules.span_months("2022-01", "2026-12") == 60
    assert rules.reference(42) == "OPP-000042"


def test_a_quote_line_charges_its_discounted_unit_price_at_its_tax_rate():
    line = {"description": "Pose", "quantity": "2", "unit_price": 10001, "discount": "10", "tax_percent": "5.5", "item_id": "X"}
    assert rules.charge_line(line) == {"description": "Pose", "quantity": "2", "unit_price": 9001, "tax_rate": "5.5", "stock_item_id": "X"}
    assert rules.charge_line({**line, "discount": "0", "nominal_code": "4000"})["unit_price"] == 10001  # type: ignore[index]
    assert rules.charge_line({**line, "quantity": "0"}) is None


def test_a_custom_field_filter_matches_an_answer_or_one_of_several():
    opportunity = {"custom_fields": {"source": "web", "visits": 2, "vip": True, "tags": ["a", "b"]}}
    assert rules.answered(opportunity, "source", "web") and not rules.answered(opportunity, "source", "word")
    assert rules.answered(opportunity, "visits", "2") and rules.answered(opportunity, "vip", "true")
    assert rules.answered(opportunity, "tags", "b") and not rules.answered(opportunity, "missing", "None")
    assert not rules.answered({}, "source", "web")
