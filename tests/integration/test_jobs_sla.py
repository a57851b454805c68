"""SLAs of a site: offered by job type, copied onto a job with deadlines in the site's working
time, planning checked against them (warnings naming the constraint, recorded overrides, strict
mode), and the breach report."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import boto3
import pytest

from crm.platform import clock
from tests.support.lambdas import call

OFFICE_HOURS = {
    "time_zone": "Europe/Paris",
    "weekly": {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
}
FRIDAY_16H_PARIS = datetime(2030, 1, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(aws, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: FRIDAY_16H_PARIS)
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    site = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group, "opening_hours": OFFICE_HOURS}).json["id"]
    other_site = call("POST", "/contacts", body={"name": "XYZ", "group_id": group}).json["id"]
    repair = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    survey = call("POST", "/job-types", role="admin", body={"name": "Survey"}).json["id"]
    gas = call("POST", "/resources", role="admin", body={"user_id": "ann", "name": "Ann", "group": "North", "skills": ["gas"]}).json["id"]
    plain = call("POST", "/resources", role="admin", body={"user_id": "bob", "name": "Bob", "group": "South"}).json["id"]
    crane = call("POST", "/vehicles", role="admin", body={"name": "Crane truck", "attributes": ["crane"]}).json["id"]
    van = call("POST", "/vehicles", role="admin", body={"name": "Van"}).json["id"]
    four_hours = call(
        "POST",
        f"/contacts/{site}/slas",
        body={
            "name": "4h",
            "job_type_id": repair,
            "constraints": [
                {"kind": "time", "rule": "complete_before", "minutes": 240},
                {"kind": "resource", "skill": "gas"},
                {"kind": "vehicle", "attribute": "crane"},
            ],
        },
    )
    assert four_hours.status == 201, four_hours.body
    same_day = call(
        "POST",
        f"/contacts/{site}/slas",
        role="admin",
        body={"name": "Same day", "constraints": [{"kind": "time", "rule": "start_before", "minutes": 60}]},
    ).json
    return {
        "site": site,
        "other_site": other_site,
        "repair": repair,
        "survey": survey,
        "gas": gas,
        "plain": plain,
        "crane": crane,
        "van": van,
        "4h": four_hours.json,
        "same_day": same_day,
    }


def test_slas_are_offered_by_job_type(world):
    listed = call("GET", f"/contacts/{world['site']}/slas", query={"job_type_id": world["repair"]}).json["items"]
    assert [s["name"] for s in listed] == ["4h", "Same day"]
    listed = call("GET", f"/contacts/{world['site']}/slas", query={"job_type_id": world["survey"]}).json["items"]
    assert [s["name"] for s in listed] == ["Same day"]
    job = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["survey"]}).json
    assert [s["name"] for s in job["available_slas"]] == ["Same day"] and job["sla"] is None
    assert call("GET", f"/contacts/{world['other_site']}/slas").json["items"] == []
    assert call("GET", f"/contacts/{world['site']}/slas", role="resource").status == 403


def test_bad_slas_are_refused(world):
    reply = call(
        "POST", f"/contacts/{world['site']}/slas", body={"name": "x", "constraints": [{"kind": "resource", "group": "a", "skill": "b"}]}
    )
    assert reply.status == 422
    reply = call(
        "POST",
        f"/contacts/{world['site']}/slas",
        body={
            "name": "x",
            "job_type_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "constraints": [{"kind": "time", "rule": "start_after", "minutes": 5}],
        },
    )
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "job_type_id"
    assert call("POST", f"/contacts/{world['site']}/slas", body={"name": "x", "constraints": []}).status == 422


def test_choosing_an_sla_copies_its_constraints_with_deadlines_in_working_hours(world):
    reply = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["repair"], "sla_id": world["4h"]["id"]})
    assert reply.status == 201, reply.body
    job = reply.json
    assert job["sla"]["name"] == "4h" and job["available_slas"] == []
    time, resource, vehicle = job["sla"]["constraints"]
    # Friday 16:00 Paris + 4 working hours (09:00-17:00): 1 h on Friday, 3 h on Monday -> Monday 12:00 Paris.
    assert time["deadline"] == "2030-01-07T11:00:00Z"
    assert resource["skill"] == "gas" and vehicle["attribute"] == "crane"
    assert {c["id"] for c in job["sla"]["constraints"]} == {c["id"] for c in world["4h"]["constraints"]}


def test_an_sla_of_another_site_or_type_cannot_be_chosen(world):
    wrong_type = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["survey"], "sla_id": world["4h"]["id"]})
    assert wrong_type.status == 422 and wrong_type.json["errors"][0]["field"] == "sla_id"
    other_site = call(
        "POST", "/jobs", body={"contact_id": world["other_site"], "job_type_id": world["repair"], "sla_id": world["same_day"]["id"]}
    )
    assert other_site.status == 422


def test_planning_that_breaks_constraints_warns_naming_them_and_overrides_are_recorded(world):
    constraint = {c["kind"]: c["id"] for c in world["4h"]["constraints"]}
    late = {
        "planned_start": "2030-01-07T12:00:00Z",
        "planned_end": "2030-01-07T13:00:00Z",
        "resource_id": world["plain"],
        "vehicle_id": world["van"],
    }
    reply = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["repair"], "sla_id": world["4h"]["id"], **late})
    assert reply.status == 201
    job = reply.json
    warned = {w["constraint_id"]: w["message"] for w in job["warnings"] if w["code"] == "sla_constraint"}
    assert set(warned) == set(constraint.values())
    assert "complete before 2030-01-07T11:00:00Z" in warned[constraint["time"]]
    assert "skill gas" in warned[constraint["resource"]] and "Bob" in warned[constraint["resource"]]
    assert "attribute crane" in warned[constraint["vehicle"]]
    # Strict mode refuses a plan that still breaks a constraint nobody overrode.
    strict = call("PATCH", f"/jobs/{job['id']}", body={"resource_id": world["gas"], "strict": True}, headers={"If-Match": '"1"'})
    assert strict.status == 409 and "crane" in strict.json["detail"]
    # The office overrides the vehicle constraint and fixes the resource; the time one still warns.
    reply = call(
        "PATCH",
        f"/jobs/{job['id']}",
        body={"resource_id": world["gas"], "override_constraints": [constraint["vehicle"]]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply.body
    assert [w["constraint_id"] for w in reply.json["warnings"]] == [constraint["time"]]
    overridden = next(c for c in reply.json["sla"]["constraints"] if c["id"] == constraint["vehicle"])
    assert overridden["override"] == {"by": "office@t1.example", "at": "2030-01-04T15:00:00Z"}
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert [(h["kind"], h.get("constraint_id")) for h in history if h["kind"] == "override"] == [("override", constraint["vehicle"])]
    unknown = call("PATCH", f"/jobs/{job['id']}", body={"override_constraints": ["nope"]}, headers={"If-Match": '"2"'})
    assert unknown.status == 422


def test_breach_report_lists_jobs_that_breached_or_will_breach(world, monkeypatch):
    sla = world["4h"]["id"]
    base = {
        "contact_id": world["site"],
        "job_type_id": world["repair"],
        "sla_id": sla,
        "resource_id": world["gas"],
        "vehicle_id": world["crane"],
    }
    ok = call(
        "POST",
        "/jobs",
        body={**base, "description": "fine", "planned_start": "2030-01-07T08:00:00Z", "planned_end": "2030-01-07T09:00:00Z"},
    ).json
    late = call(
        "POST",
        "/jobs",
        body={**base, "description": "late plan", "planned_start": "2030-01-07T10:30:00Z", "planned_end": "2030-01-07T11:30:00Z"},
    ).json
    call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["repair"], "description": "no sla"})
    report = call("GET", "/reports/sla-breaches").json["items"]
    assert [(line["job"]["description"], [v["severity"] for v in line["violations"]]) for line in report] == [
        ("late plan", ["will_breach"])
    ]
    # Monday 12:00 Paris: the deadline has passed; the unfinished jobs breached it.
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 1, 7, 11, 30, tzinfo=UTC))
    for job in (ok,):
        call("POST", f"/jobs/{job['id']}/status", body={"status": "in_progress"}, headers={"If-Match": '"1"'})
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 1, 7, 11, 45, tzinfo=UTC))
    call("POST", f"/jobs/{ok['id']}/status", body={"status": "completed"}, headers={"If-Match": '"2"'})
    report = call("GET", "/reports/sla-breaches").json["items"]
    assert {line["job"]["description"]: line["violations"][0]["severity"] for line in report} == {
        "fine": "breached",
        "late plan": "breached",
    }
    assert call("GET", "/reports/sla-breaches", role="resource").status == 403
    assert call("GET", "/reports/sla-breaches", tenant="t2").json["items"] == []
    assert late["sla"]["name"] == "4h"


def test_a_job_finished_on_time_leaves_the_report(world):
    base = {"contact_id": world["site"], "job_type_id": world["repair"], "sla_id": world["same_day"]["id"], "resource_id": world["gas"]}
    job = call("POST", "/jobs", body={**base, "planned_start": "2030-01-04T15:10:00Z", "planned_end": "2030-01-04T15:40:00Z"}).json
    assert job["warnings"] == []
    call("POST", f"/jobs/{job['id']}/status", body={"status": "in_progress"}, headers={"If-Match": '"1"'})
    call("POST", f"/jobs/{job['id']}/status", body={"status": "completed"}, headers={"If-Match": '"2"'})
    assert call("GET", "/reports/sla-breaches").json["items"] == []


def test_delete_an_sla(world):
    sla = world["same_day"]
    assert call("DELETE", f"/contacts/{world['site']}/slas/{sla['id']}", headers={"If-Match": '"2"'}).status == 412
    assert call("DELETE", f"/contacts/{world['site']}/slas/{sla['id']}", headers={"If-Match": '"1"'}).status == 204
    assert call("DELETE", f"/contacts/{world['site']}/slas/{sla['id']}", headers={"If-Match": '"1"'}).status == 404
    assert [s["name"] for s in call("GET", f"/contacts/{world['site']}/slas").json["items"]] == ["4h"]


def test_the_breach_report_looks_at_most_a_year_ahead(world):
    assert call("GET", "/reports/sla-breaches", query={"until": "2030-12-31T00:00:00Z"}).status == 200
    reply = call("GET", "/reports/sla-breaches", query={"until": "2031-06-01T00:00:00Z"})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "until"


def test_a_site_whose_stored_hours_open_at_no_time_gives_no_server_error(world):
    """Hours written before contacts refused them (open at no time): working time never elapses."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    never = {"time_zone": "Europe/Paris", "weekly": {"mon": []}}
    table.update_item(
        Key={"PK": f"T#t1#CONTACT#{world['site']}", "SK": "CONTACT"},
        UpdateExpression="SET opening_hours = :h",
        ExpressionAttributeValues={":h": never},
    )
    reply = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["repair"], "sla_id": world["4h"]["id"]})
    assert reply.status == 409 and [e["field"] for e in reply.json["errors"]] == ["sla_id"]
    assert "opening hours" in reply.json["detail"]
    # Without the SLA the job is saved, its plan warned about.
    plan = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z"}
    reply = call("POST", "/jobs", body={"contact_id": world["site"], "job_type_id": world["repair"], **plan})
    assert reply.status == 201 and [w["code"] for w in reply.json["warnings"]] == ["outside_opening_hours"]


def test_forgetting_a_contact_deletes_its_slas(world):
    from crm.jobs import catalog_repository as repo
    from crm.jobs import service

    other = call(
        "POST",
        f"/contacts/{world['other_site']}/slas",
        body={"name": "Kept", "constraints": [{"kind": "time", "rule": "start_before", "minutes": 60}]},
    )
    assert other.status == 201
    assert len(repo.list_slas("t1", world["site"])) == 2
    service.forget_contact("t1", world["site"])
    assert repo.list_slas("t1", world["site"]) == []
    service.forget_contact("t1", world["site"])  # again: nothing to do, no error
    service.forget_contact("t2", world["other_site"])  # another tenant's: nothing of t1's goes
    assert [s["name"] for s in repo.list_slas("t1", world["other_site"])] == ["Kept"]
