"""The job status machine: only the listed moves, terminal states final, resources' narrower set."""

from __future__ import annotations

import pytest

from crm.jobs import transitions
from crm.jobs.transitions import ALLOWED, STATUSES, NotAllowed, allowed, check


@pytest.mark.parametrize(
    "current,wanted",
    [
        ("to_schedule", "scheduled"),
        ("to_schedule", "cancelled"),
        ("scheduled", "in_progress"),
        ("scheduled", "to_schedule"),
        ("scheduled", "cancelled"),
        ("in_progress", "paused"),
        ("in_progress", "completed"),
        ("in_progress", "completed_with_issues"),
        ("paused", "in_progress"),
        ("paused", "cancelled"),
    ],
)
def test_allowed_moves(current, wanted):
    check(current, wanted)


def test_every_other_move_is_refused():
    for current in STATUSES:
        for wanted in STATUSES:
            if wanted not in ALLOWED[current]:
                with pytest.raises(NotAllowed):
                    check(current, wanted)


def test_the_refusal_names_the_allowed_moves():
    with pytest.raises(NotAllowed) as e:
        check("in_progress", "to_schedule")
    assert e.value.allowed == ("paused", "completed", "completed_with_issues")
    assert "paused, completed, completed_with_issues" in str(e.value)


@pytest.mark.parametrize("status", ["completed", "completed_with_issues", "cancelled"])
def test_terminal_states_are_final(status):
    assert transitions.is_terminal(status)
    with pytest.raises(NotAllowed) as e:
        check(status, "scheduled")
    assert e.value.allowed == () and "final" in str(e.value)


def test_a_resource_works_the_job_but_does_not_plan_or_cancel_it():
    assert allowed("scheduled", resource=True) == ("in_progress",)
    assert allowed("to_schedule", resource=True) == ()
    assert allowed("paused", resource=True) == ("in_progress",)
    with pytest.raises(NotAllowed):
        check("scheduled", "cancelled", resource=True)
    check("in_progress", "completed_with_issues", resource=True)
