"""The site's job log (a contact, its children, its parent's other sites), and the booking site's
entry points into the jobs service (request_job, jobs_of_contacts)."""

from __future__ import annotations

import functools
import json
import operator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from crm.jobs import service, views
from crm.platform import clock
from tests.support.lambdas import call


@pytest.fixture
def family(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    parent = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json["id"]
    paris = call("POST", "/contacts", body={"name": "ABC Paris", "group_id": group, "parent_id": parent}).json["id"]
    lyon = call("POST", "/contacts", body={"name": "ABC Lyon", "group_id": group, "parent_id": parent}).json["id"]
    other = call("POST", "/contacts", body={"name": "XYZ", "group_id": group}).json["id"]
    job_type = call("POST", "/job-types", role="admin", body={"name": "Repair"}).json["id"]
    return {"parent": parent, "paris": paris, "lyon": lyon, "other": other, "type": job_type}


def _job(contact_id: str, job_type: str, description: str) -> dict:
    reply = call("POST", "/jobs", body={"contact_id": contact_id, "job_type_id": job_type, "description": description})
    assert reply.status == 201, reply.body
    return reply.json


def _pages(path: str, **query) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        reply = call("GET", path, query={**query, "cursor": cursor})
        assert reply.status == 200, reply.body
        pages.append([j["description"] for j in reply.json["items"]])
        cursor = reply.json["next_cursor"]
        if not cursor:
            return pages


def test_log_of_a_site_is_newest_first_and_paginated(family):
    for i in range(5):
        _job(family["paris"], family["type"], f"paris {i}")
    _job(family["other"], family["type"], "elsewhere")
    pages = _pages(f"/contacts/{family['paris']}/jobs", limit=2)
    assert pages == [["paris 4", "paris 3"], ["paris 2", "paris 1"], ["paris 0"]]


def test_log_with_children_merges_the_sites_by_time(family):
    made = []
    for i in range(3):
        for site in ("parent", "paris", "lyon"):
            made.append(_job(family[site], family["type"], f"{site} {i}")["description"])
    _job(family["other"], family["type"], "elsewhere")
    pages = _pages(f"/contacts/{family['parent']}/jobs", include="children", limit=4)
    assert [len(p) for p in pages] == [4, 4, 1]
    assert functools.reduce(operator.iadd, pages, []) == list(reversed(made))


def test_log_of_the_parents_other_sites(family):
    _job(family["parent"], family["type"], "head office")
    _job(family["paris"], family["type"], "paris")
    _job(family["lyon"], family["type"], "lyon")
    assert _pages(f"/contacts/{family['paris']}/jobs", include="siblings") == [["lyon", "paris"]]
    assert _pages(f"/contacts/{family['paris']}/jobs") == [["paris"]]


def test_log_filters_by_status_and_period(family, monkeypatch):
    start, real_now = datetime(2030, 3, 1, 12, tzinfo=UTC), clock.now
    for day in range(4):
        monkeypatch.setattr(clock, "now", lambda day=day: start + timedelta(days=day))
        job = _job(family["paris"], family["type"], f"day {day}")
        if day % 2:
            call("POST", f"/jobs/{job['id']}/status", body={"status": "cancelled"}, headers={"If-Match": '"1"'})
    monkeypatch.setattr(clock, "now", real_now)
    path = f"/contacts/{family['paris']}/jobs"
    assert _pages(path, status="cancelled") == [["day 3", "day 1"]]
    assert _pages(path, since="2030-03-02T00:00:00Z", until="2030-03-03T23:59:59Z") == [["day 2", "day 1"]]
    assert functools.reduce(operator.iadd, _pages(path, since="2030-03-02T00:00:00Z", status="to_schedule", limit=1), []) == ["day 2"]


def test_a_cursor_is_bound_to_its_query(family):
    for i in range(3):
        _job(family["paris"], family["type"], f"paris {i}")
    cursor = call("GET", f"/contacts/{family['paris']}/jobs", query={"limit": 1}).json["next_cursor"]
    reply = call("GET", f"/contacts/{family['paris']}/jobs", query={"limit": 1, "cursor": cursor, "status": "scheduled"})
    assert reply.status == 422


def test_the_log_is_one_query_per_page_for_a_site(family, monkeypatch):
    for i in range(5):
        _job(family["paris"], family["type"], f"paris {i}")
    from crm.platform import aws

    calls = []
    real = aws.table().query
    monkeypatch.setattr(aws.table(), "query", lambda **kw: calls.append(kw) or real(**kw))
    items, cursor = views.jobs_of_contacts("t1", [family["paris"]], 2, None)
    assert len(items) == 2 and cursor and len(calls) == 1
    assert calls[0]["IndexName"] == "GSI2" and calls[0]["ScanIndexForward"] is False


def test_booking_request_job_and_jobs_of_contacts(family):
    jane, bob = "01JABCDEFGHJKMNPQRSTVWXYZ1", "01JABCDEFGHJKMNPQRSTVWXYZ2"  # the persons who booked
    job = service.request_job("t1", family["paris"], family["type"], "Leaking tap", "2030-05-02", jane)
    assert job["status"] == "to_schedule" and job["reference"] == "JOB-000001"
    assert job["preferred_date"] == "2030-05-02" and job["created_by"] == f"person:{jane}"
    service.request_job("t1", family["lyon"], family["type"], "Broken door", None, jane)
    service.request_job("t1", family["other"], family["type"], "Not theirs", None, bob)
    seen, cursor = [], None
    while True:
        items, cursor = views.jobs_of_contacts("t1", [family["paris"], family["lyon"]], 1, cursor)
        seen += [j["description"] for j in items]
        if not cursor:
            break
    assert seen == ["Broken door", "Leaking tap"]
    # The office sees the request in the to-schedule list.
    listed = call("GET", "/jobs", query={"status": "to_schedule"}).json["items"]
    assert {j["description"] for j in listed} == {"Leaking tap", "Broken door", "Not theirs"}
    assert views.jobs_of_contacts("t2", [family["paris"]], 10, None) == ([], None)


def test_booking_request_job_refuses_unknown_contact_or_type(family):
    from crm.platform.errors import Invalid

    with pytest.raises(Invalid):
        service.request_job("t1", "01ARZ3NDEKTSV4RRFFQ69G5FAV", family["type"], "x", None, "01JABCDEFGHJKMNPQRSTVWXYZ1")
    with pytest.raises(Invalid):
        service.request_job("t2", family["paris"], family["type"], "x", None, "01JABCDEFGHJKMNPQRSTVWXYZ1")


def test_paging_on_while_jobs_and_sites_are_added(family):
    for i in range(3):
        _job(family["paris"], family["type"], f"paris {i}")
    first = call("GET", f"/contacts/{family['parent']}/jobs", query={"include": "children", "limit": 2}).json
    assert [j["description"] for j in first["items"]] == ["paris 2", "paris 1"]
    assert len(first["next_cursor"]) < 200  # the cursor is one position, however many sites
    group = call("GET", f"/contacts/{family['paris']}").json["group_id"]
    nantes = call("POST", "/contacts", body={"name": "ABC Nantes", "group_id": group, "parent_id": family["parent"]}).json["id"]
    _job(nantes, family["type"], "nantes, newer than the page")
    rest = call("GET", f"/contacts/{family['parent']}/jobs", query={"include": "children", "limit": 2, "cursor": first["next_cursor"]}).json
    assert [j["description"] for j in rest["items"]] == ["paris 0"] and rest["next_cursor"] is None


@contextmanager
def queries():
    """The DynamoDB Queries made meanwhile, as sent (counted where botocore sends them)."""
    from crm.platform import aws

    made: list[dict] = []
    events = aws.table().meta.client.meta.events

    def count(params, **_):
        made.append(json.loads(params["body"]))  # the request as sent

    events.register("before-call.dynamodb.Query", count, unique_id="jobs-log-queries")
    try:
        yield made
    finally:
        events.unregister("before-call.dynamodb.Query", unique_id="jobs-log-queries")


def test_a_deep_page_of_a_site_log_is_one_query(family, monkeypatch):
    start, real_now = datetime(2030, 3, 1, 12, tzinfo=UTC), clock.now
    for i in range(7):
        monkeypatch.setattr(clock, "now", lambda i=i: start + timedelta(hours=i))
        _job(family["paris"], family["type"], f"paris {i}")
    monkeypatch.setattr(clock, "now", real_now)
    _, cursor = views.jobs_of_contacts("t1", [family["paris"]], 2, None)
    with queries() as made:
        items, cursor = views.jobs_of_contacts("t1", [family["paris"]], 2, cursor)
    assert [j["description"] for j in items] == ["paris 4", "paris 3"] and cursor and len(made) == 1
    # With a period too (a BETWEEN, which includes the page's last job): still one Query a page.
    path, period = f"/contacts/{family['paris']}/jobs", {"since": "2030-03-01T13:00:00Z", "until": "2030-03-01T17:30:00Z", "limit": 2}
    first = call("GET", path, query=period).json
    assert [j["description"] for j in first["items"]] == ["paris 5", "paris 4"]
    with queries() as made:
        second = call("GET", path, query={**period, "cursor": first["next_cursor"]}).json
    assert [j["description"] for j in second["items"]] == ["paris 3", "paris 2"] and len(made) == 1
    assert functools.reduce(operator.iadd, _pages(path, **period), []) == [f"paris {i}" for i in (5, 4, 3, 2, 1)]


def test_a_deep_page_of_a_family_log_reads_no_more_than_it_needs(family, monkeypatch):
    start, real_now = datetime(2030, 3, 1, 12, tzinfo=UTC), clock.now
    made_jobs = []
    for i in range(3):
        for n, site in enumerate(("parent", "paris", "lyon")):
            monkeypatch.setattr(clock, "now", lambda i=i, n=n: start + timedelta(hours=i, minutes=n))
            made_jobs.append(_job(family[site], family["type"], f"{site} {i}")["description"])
    monkeypatch.setattr(clock, "now", real_now)
    path, period = f"/contacts/{family['parent']}/jobs", {"include": "children", "since": "2030-03-01T12:00:00Z", "limit": 2}
    first = call("GET", path, query=period).json
    with queries() as made:
        second = call("GET", path, query={**period, "cursor": first["next_cursor"]}).json
    logs = [q for q in made if q.get("IndexName") == "GSI2"]
    # One Query per site; only the site holding the previous page's last job reads one more.
    assert len(logs) == 3 and sorted(q["Limit"] for q in logs) == [2, 2, 3]
    assert [j["description"] for j in second["items"]] == ["parent 2", "lyon 1"]
    assert functools.reduce(operator.iadd, _pages(path, **period), []) == list(reversed(made_jobs))


def test_a_family_of_exactly_the_most_sites_is_read(family, monkeypatch):
    from crm.platform import aws

    real = aws.table().query

    def like_dynamodb(**kw):
        """DynamoDB, unlike moto, returns a LastEvaluatedKey whenever a Query stops at its Limit."""
        reply = real(**kw)
        if kw.get("Limit") and reply["Count"] == kw["Limit"] and "LastEvaluatedKey" not in reply:
            index = kw.get("IndexName")
            names = ("PK", "SK", *((index + "PK", index + "SK") if index else ()))
            reply["LastEvaluatedKey"] = {k: reply["Items"][-1][k] for k in names}
        return reply

    monkeypatch.setattr(aws.table(), "query", like_dynamodb)
    monkeypatch.setattr(views, "MAX_FAMILY", 2)  # the parent's two sites: paris and lyon
    _job(family["lyon"], family["type"], "lyon")
    assert _pages(f"/contacts/{family['parent']}/jobs", include="children") == [["lyon"]]
    assert _pages(f"/contacts/{family['paris']}/jobs", include="siblings") == [["lyon"]]
    group = call("GET", f"/contacts/{family['paris']}").json["group_id"]
    call("POST", "/contacts", body={"name": "ABC Nantes", "group_id": group, "parent_id": family["parent"]})
    reply = call("GET", f"/contacts/{family['parent']}/jobs", query={"include": "children"})
    assert reply.status == 409 and "more than 2" in reply.json["detail"]
