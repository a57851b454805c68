"""Custom fields: what each type accepts, which answers a caller sees and may write, options, order."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from crm.customfields import rules
from crm.customfields.models import FieldCreate, FieldOptionIn
from crm.platform.errors import Conflict, Invalid

OPTIONS = [{"id": "A" * 26, "label": "Red"}, {"id": "B" * 26, "label": "Blue"}, {"id": "C" * 26, "label": "Green"}]
RED, BLUE, GREEN = (o["id"] for o in OPTIONS)


def field(kind: str, fid: str = "F1", **extra) -> dict:
    options = OPTIONS if kind in ("single_choice", "multiple_choice") else None
    return {"id": fid, "label": fid.title(), "type": kind, "required": False, "visible_to_resources": False, "options": options, **extra}


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("text", "  gate 42 ", "gate 42"),
        ("text", "x" * 200, "x" * 200),
        ("text", "   ", None),
        ("long_text", "y" * 4000, "y" * 4000),
        ("number", 12, 12),
        ("number", -3.5, -3.5),
        ("number", 1e15, 1e15),
        ("date", "2026-02-28", "2026-02-28"),
        ("yes_no", False, False),
        ("single_choice", BLUE, BLUE),
        ("multiple_choice", [GREEN, RED], [RED, GREEN]),  # kept in the field's option order
        ("multiple_choice", [], None),
        ("number", None, None),
    ],
)
def test_accepted_values(kind, value, stored):
    assert rules.check_value(field(kind), value) == stored


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("text", "x" * 201, "at most 200"),
        ("text", 42, "must be a string"),
        ("long_text", "y" * 4001, "at most 4000"),
        ("number", "12", "must be a number"),
        ("number", True, "must be a number"),
        ("number", math.inf, "finite"),
        ("number", math.nan, "finite"),
        ("number", 1e16, "finite"),
        ("date", "2026-02-30", "not a calendar date"),
        ("date", "28/02/2026", "ISO date"),
        ("date", "20260228", "ISO date"),
        ("date", "2026-02-28T10:00:00Z", "ISO date"),
        ("yes_no", "yes", "true or false"),
        ("yes_no", 1, "true or false"),
        ("single_choice", "Red", "not one of this field's options"),
        ("single_choice", [RED], "one option id"),
        ("multiple_choice", [RED, RED], "more than once"),
        ("multiple_choice", [RED, "nope"], "'nope' is not among"),
        ("multiple_choice", RED, "list of option ids"),
    ],
)
def test_refused_values_say_why(kind, value, message):
    with pytest.raises(ValueError, match=message):
        rules.check_value(field(kind), value)


def test_choice_fields_need_options_and_others_have_none():
    with pytest.raises(ValidationError, match="needs its options"):
        FieldCreate(label="Colour", type="single_choice")
    with pytest.raises(ValidationError, match="has no options"):
        FieldCreate(label="Notes", type="text", options=[FieldOptionIn(label="x")])


def test_answers_name_every_bad_field_and_apply_nothing():
    fields = [field("number", "F1"), field("date", "F2"), field("text", "F3")]
    stored = {"F3": "kept"}
    with pytest.raises(Invalid) as e:
        rules.apply_answers(fields, fields, stored, {"F1": "ten", "F2": "tomorrow", "F3": "new", "F9": 1})
    assert sorted(x.field for x in e.value.errors) == ["values.F1", "values.F2", "values.F9"]
    assert "F1: must be a number" in e.value.detail and "not a field of this contact's group" in e.value.detail
    assert stored == {"F3": "kept"}


def test_null_clears_and_fields_left_out_stay():
    fields = [field("text", "F1"), field("yes_no", "F2")]
    assert rules.apply_answers(fields, fields, {"F1": "a", "F2": True}, {"F1": None}) == {"F2": True}


def test_required_fields_may_not_be_left_empty():
    fields = [field("text", "F1", required=True), field("text", "F2")]
    with pytest.raises(Invalid) as e:
        rules.apply_answers(fields, fields, {}, {"F2": "x"})
    assert [x.field for x in e.value.errors] == ["values.F1"] and "is required" in e.value.detail
    with pytest.raises(Invalid):
        rules.apply_answers(fields, fields, {"F1": "a"}, {"F1": None})
    assert rules.apply_answers(fields, fields, {}, {"F1": "a"}) == {"F1": "a"}


def test_a_resource_cannot_write_a_hidden_field_and_it_looks_unknown():
    visible, hidden = field("text", "F1", visible_to_resources=True), field("text", "F2", required=True)
    fields = [visible, hidden]
    writable = rules.visible(fields, resource=True)
    assert writable == [visible]
    with pytest.raises(Invalid) as e:
        rules.apply_answers(fields, writable, {}, {"F2": "x"})
    assert e.value.errors[0].message == "is not a field of this contact's group"
    # Hidden answers survive a resource's write, and a hidden required field does not block it.
    assert rules.apply_answers(fields, writable, {"F2": "office only"}, {"F1": "ok"}) == {"F1": "ok", "F2": "office only"}


def test_answers_to_deleted_fields_or_removed_options_read_as_unanswered():
    fields = [field("single_choice", "F1"), field("multiple_choice", "F2", options=OPTIONS[:1])]
    stored = {"F1": "Z" * 26, "F2": [RED, BLUE], "GONE": "x"}
    assert rules.current_answers(fields, stored) == {"F2": [RED]}


def test_options_keep_their_ids_when_relabelled_and_new_ones_get_ids():
    merged = rules.merge_options(OPTIONS, [FieldOptionIn(id=BLUE, label="Navy"), FieldOptionIn(label="Pink")], lambda: "N" * 26)
    assert merged == [{"id": BLUE, "label": "Navy"}, {"id": "N" * 26, "label": "Pink"}]


@pytest.mark.parametrize(
    "incoming",
    [
        [FieldOptionIn(label="Red"), FieldOptionIn(label="rÉd")],
        [FieldOptionIn(id="Z" * 26, label="Red")],
        [FieldOptionIn(id=RED, label="Red"), FieldOptionIn(id=RED, label="Rouge")],
    ],
)
def test_bad_option_lists_are_refused(incoming):
    with pytest.raises(Invalid):
        rules.merge_options(OPTIONS, incoming, lambda: "N" * 26)


def test_labels_are_unique_in_a_group_ignoring_case():
    fields = [field("text", "F1", label="Gate code")]
    with pytest.raises(Conflict):
        rules.check_label_free(fields, "GATE CODE")
    rules.check_label_free(fields, "Gate code", field_id="F1")  # renaming a field to itself


def test_reorder_is_a_permutation_of_the_current_fields():
    fields = [field("text", f"F{i}") for i in (1, 2, 3)]
    assert [f["id"] for f in rules.reordered(fields, ["F3", "F1", "F2"])] == ["F3", "F1", "F2"]
    with pytest.raises(Invalid) as e:
        rules.reordered(fields, ["F3", "F3", "F9"])
    messages = [x.message for x in e.value.errors]
    assert messages == ["F9 is not a field of this group", "F3 is listed 2 times", "F1 is missing", "F2 is missing"]
