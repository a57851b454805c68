"""SLA constraints: shapes, deadlines in the site's working time or elapsed time, and checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from crm.contacts.hours import OpeningHours
from crm.jobs import sla

CONSTRAINT = TypeAdapter(sla.Constraint)
OFFICE_HOURS = OpeningHours.model_validate(
    {"time_zone": "Europe/Paris", "weekly": {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}}
)


def _job(constraints, **fields):
    return {"status": "scheduled", "sla": {"constraints": constraints}, **fields}


def test_constraint_shapes():
    assert CONSTRAINT.validate_python({"kind": "time", "rule": "complete_before", "minutes": 240}).minutes == 240
    assert CONSTRAINT.validate_python({"kind": "resource", "skill": "gas"}).skill == "gas"
    assert CONSTRAINT.validate_python({"kind": "vehicle", "attribute": "crane"}).attribute == "crane"
    for bad in (
        {"kind": "time", "rule": "finish_soon", "minutes": 10},
        {"kind": "time", "rule": "start_before", "minutes": 0},
        {"kind": "resource"},
        {"kind": "resource", "group": "North", "skill": "gas"},
        {"kind": "vehicle", "colour": "red"},
    ):
        with pytest.raises(ValidationError):
            CONSTRAINT.validate_python(bad)


def test_deadline_without_opening_hours_is_elapsed_time():
    created = datetime(2030, 1, 4, 16, 0, tzinfo=UTC)  # a Friday
    assert sla.deadline({"minutes": 240}, created, None) == datetime(2030, 1, 4, 20, 0, tzinfo=UTC)


def test_deadline_counts_the_sites_working_hours():
    # Friday 16:00 Paris (15:00 UTC), 4 working hours: 1 h on Friday, 3 h on Monday from 09:00.
    created = datetime(2030, 1, 4, 15, 0, tzinfo=UTC)
    assert sla.deadline({"minutes": 240}, created, OFFICE_HOURS) == datetime(2030, 1, 7, 11, 0, tzinfo=UTC)  # Monday 12:00 Paris


def test_deadline_created_outside_hours_starts_at_opening():
    created = datetime(2030, 1, 5, 10, 0, tzinfo=UTC)  # Saturday
    assert sla.deadline({"minutes": 60}, created, OFFICE_HOURS) == datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # Monday 10:00 Paris


NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def _time(rule, deadline="2030-01-07T12:00:00Z"):
    return {"id": "c1", "kind": "time", "rule": rule, "minutes": 60, "deadline": deadline}


def test_complete_before_broken_by_the_plan_will_breach():
    found = sla.check(
        _job([_time("complete_before")], planned_start="2030-01-07T11:00:00Z", planned_end="2030-01-07T13:00:00Z"), None, None, NOW
    )
    assert [(v.constraint_id, v.severity) for v in found] == [("c1", "will_breach")]
    assert "complete before" in found[0].message


def test_complete_before_kept_by_the_plan_is_fine():
    assert (
        sla.check(
            _job([_time("complete_before")], planned_start="2030-01-07T10:00:00Z", planned_end="2030-01-07T11:00:00Z"), None, None, NOW
        )
        == []
    )


def test_a_passed_deadline_is_breached_and_a_late_completion_stays_breached():
    late = datetime(2030, 1, 7, 13, 0, tzinfo=UTC)
    assert sla.check(_job([_time("complete_before")]), None, None, late)[0].severity == "breached"
    done = _job([_time("complete_before")], status="completed", completed_at="2030-01-07T12:30:00Z")
    assert sla.check(done, None, None, late)[0].severity == "breached"
    on_time = _job([_time("complete_before")], status="completed", completed_at="2030-01-07T11:30:00Z")
    assert sla.check(on_time, None, None, late) == []


def test_start_before_and_start_after():
    plan = {"planned_start": "2030-01-07T12:30:00Z", "planned_end": "2030-01-07T13:00:00Z"}
    assert sla.check(_job([_time("start_before")], **plan), None, None, NOW)[0].severity == "will_breach"
    assert sla.check(_job([_time("start_after")], **plan), None, None, NOW) == []
    early = {"planned_start": "2030-01-07T11:00:00Z", "planned_end": "2030-01-07T11:30:00Z"}
    assert sla.check(_job([_time("start_after")], **early), None, None, NOW)[0].severity == "will_breach"
    started = _job([_time("start_after")], status="in_progress", started_at="2030-01-07T11:00:00Z")
    assert sla.check(started, None, None, NOW)[0].severity == "breached"


def test_cancelled_jobs_do_not_breach_deadlines():
    assert sla.check(_job([_time("complete_before")], status="cancelled"), None, None, datetime(2031, 1, 1, tzinfo=UTC)) == []


def test_resource_constraints():
    tech = {"id": "u1", "name": "Ann", "group": "North", "skills": ["gas", "electric"]}
    for c, ok in (
        ({"group": "North"}, True),
        ({"group": "South"}, False),
        ({"resource_id": "u1"}, True),
        ({"resource_id": "u2"}, False),
        ({"skill": "gas"}, True),
        ({"skill": "plumbing"}, False),
    ):
        found = sla.check(_job([{"id": "r", "kind": "resource", **c}]), tech, None, NOW)
        assert (found == []) is ok, c
    assert sla.check(_job([{"id": "r", "kind": "resource", "skill": "x"}]), None, None, NOW) == []  # unassigned: nothing to judge
    under_way = _job([{"id": "r", "kind": "resource", "skill": "plumbing"}], status="in_progress")
    assert sla.check(under_way, tech, None, NOW)[0].severity == "breached"


def test_vehicle_constraints_and_overrides():
    van = {"id": "v1", "name": "Van", "group": "Fleet A", "attributes": ["crane"]}
    assert sla.check(_job([{"id": "v", "kind": "vehicle", "attribute": "crane"}]), None, van, NOW) == []
    found = sla.check(_job([{"id": "v", "kind": "vehicle", "group": "Fleet B", "override": {"by": "o", "at": "x"}}]), None, van, NOW)
    assert found[0].overridden and "Fleet B" in found[0].message


def test_first_deadline():
    assert (
        sla.first_deadline(
            [_time("start_before", "2030-01-08T00:00:00Z"), _time("complete_before", "2030-01-07T00:00:00Z"), {"kind": "resource"}]
        )
        == "2030-01-07T00:00:00Z"
    )
    assert sla.first_deadline([{"kind": "resource"}]) is None
