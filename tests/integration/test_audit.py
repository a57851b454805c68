"""The audit trail: each sensitive action leaves one record naming people by id, readable by the
tenant's admins only (GET /audit), newest first, filtered by actor, action and period, and kept for
the retention they set."""

from __future__ import annotations

import itertools
from datetime import timedelta

import boto3
import pytest

from crm.platform import audit, clock
from tests.support.lambdas import call, claims

JANE = {"name": "Jane Doe", "email": "jane.doe@acme.test", "mobile": "+44 20 7946 0000"}
ADMIN_ID = claims("t1", "admin")["sub"]
OFFICE_ID = claims("t1", "office")["sub"]


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json


def trail(tenant: str = "t1", **query) -> list[dict]:
    reply = call("GET", "/audit", role="admin", tenant=tenant, query=query)
    assert reply.status == 200, reply.body
    return reply.json["items"]


def uploaded_attachment(aws, contact_id: str) -> str:
    ticket = call(
        "POST", f"/contacts/{contact_id}/attachments", body={"filename": "plan.pdf", "content_type": "application/pdf", "size": 3}
    ).json
    boto3.client("s3").put_object(Bucket=aws["AttachmentsBucket"], Key=ticket["upload"]["fields"]["key"], Body=b"pdf")
    return ticket["id"]


def test_each_sensitive_action_leaves_one_record_naming_people_by_id(aws, contact):
    person = call("POST", f"/contacts/{contact['id']}/persons", body=JANE).json
    attachment = uploaded_attachment(aws, contact["id"])
    assert trail() == []  # creating things is not a sensitive action

    assert call("GET", f"/contacts/{contact['id']}/attachments/{attachment}/download").status == 200
    assert call("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 50}, headers={"If-Match": '"0"'}).status == 200
    assert call("POST", f"/persons/{person['id']}/export", role="admin", body={}).status == 200
    assert call("POST", f"/persons/{person['id']}/erase", role="admin").status == 200

    records = trail()
    assert [(r["action"], r["actor_id"], r["actor_role"], r["target_type"], r["target_id"]) for r in records] == [
        ("person.erased", ADMIN_ID, "admin", "person", person["id"]),
        ("person.exported", ADMIN_ID, "admin", "person", person["id"]),
        ("settings.changed", ADMIN_ID, "admin", "settings", "t1"),
        ("attachment.downloaded", OFFICE_ID, "office", "attachment", attachment),
    ]
    assert records[2]["details"] == {"fields": ["default_zone_radius_m"]}
    assert records[3]["details"] == {"contact_id": contact["id"]}
    # Names people by id only: nothing of Jane's, nor any user's address, is in the trail.
    text = str(records)
    assert all(v not in text for v in (*JANE.values(), "@t1.example"))


def test_a_refused_action_leaves_no_record(aws, contact):
    person = call("POST", f"/contacts/{contact['id']}/persons", body=JANE).json
    assert call("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 50}, headers={"If-Match": '"7"'}).status == 412
    assert call("POST", f"/persons/{person['id']}/erase", role="office").status == 403
    assert call("GET", f"/contacts/{contact['id']}/attachments/01ARZ3NDEKTSV4RRFFQ69G5FAV/download").status == 404
    assert trail() == []


def test_only_admins_read_it_and_another_tenants_trail_is_invisible(aws, contact):
    assert call("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 50}, headers={"If-Match": '"0"'}).status == 200
    for role in ("office", "resource"):
        assert call("GET", "/audit", role=role).status == 403
        assert call("PATCH", "/audit/settings", role=role, body={"retention_days": 90}, headers={"If-Match": '"0"'}).status == 403
    assert trail(tenant="t2") == []
    assert trail(tenant="t2", actor=ADMIN_ID) == [] and trail(tenant="t2", action="settings.changed") == []
    assert len(trail()) == 1


def test_filters_by_actor_action_and_period_newest_first_in_pages(aws, contact, monkeypatch):
    start, ticks = clock.now(), itertools.count()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=next(ticks)))  # every record its own second
    attachment = uploaded_attachment(aws, contact["id"])
    for _ in range(3):
        call("GET", f"/contacts/{contact['id']}/attachments/{attachment}/download", role="office")
        call("GET", f"/contacts/{contact['id']}/attachments/{attachment}/download", role="admin")
    call("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 50}, headers={"If-Match": '"0"'})

    everything = trail()
    assert len(everything) == 7 and [r["at"] for r in everything] == sorted((r["at"] for r in everything), reverse=True)
    assert {r["actor_id"] for r in trail(actor=OFFICE_ID)} == {OFFICE_ID} and len(trail(actor=OFFICE_ID)) == 3
    assert [r["action"] for r in trail(action="settings.changed")] == ["settings.changed"]
    assert len(trail(actor=ADMIN_ID, action="attachment.downloaded")) == 3
    middle = everything[1:4]
    assert trail(since=middle[-1]["at"], until=middle[0]["at"]) == middle

    pages, cursor = [], None
    while True:
        reply = call("GET", "/audit", role="admin", query={"limit": 3, "cursor": cursor, "action": "attachment.downloaded"}).json
        pages.append(reply["items"])
        cursor = reply["next_cursor"]
        if not cursor:
            break
    assert all(len(p) <= 3 for p in pages)
    assert [r["id"] for p in pages for r in p] == [r["id"] for r in everything if r["action"] == "attachment.downloaded"]


def test_bad_filters_are_a_422_naming_them(aws):
    reply = call("GET", "/audit", role="admin", query={"action": "person.deleted", "since": "yesterday"})
    assert reply.status == 422 and {e["field"] for e in reply.json["errors"]} == {"action", "since"}
    reply = call("GET", "/audit", role="admin", query={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "since"


def test_records_expire_after_the_retention_admins_set_when_they_were_written(aws, contact):
    assert call("GET", "/audit/settings", role="admin").json == {"version": 0, "retention_days": audit.DEFAULT_RETENTION_DAYS}
    changed = call("PATCH", "/audit/settings", role="admin", body={"retention_days": 30}, headers={"If-Match": '"0"'})
    assert changed.status == 200 and changed.json == {"version": 1, "retention_days": 30} and changed.headers["etag"] == '"1"'
    assert call("PATCH", "/audit/settings", role="admin", body={"retention_days": 90}, headers={"If-Match": '"0"'}).status == 412
    too_short = call("PATCH", "/audit/settings", role="admin", body={"retention_days": 7, "extra": 1}, headers={"If-Match": '"1"'})
    assert too_short.status == 422 and {e["field"] for e in too_short.json["errors"]} == {"retention_days", "extra"}

    (record,) = trail()  # the change of retention is itself recorded
    assert record["action"] == "settings.changed" and record["target_type"] == "audit_settings"
    item = boto3.resource("dynamodb").Table(aws["Table"]).get_item(Key={"PK": "T#t1#AUDIT", "SK": f"{record['at']}#{record['id']}"})["Item"]
    written = clock.now().timestamp()
    assert abs(int(item["expires_at"]) - (written + 30 * 86400)) < 120  # the table's TTL attribute deletes it then


def test_each_export_file_leaves_a_record_before_its_link_is_handed_out(sales):
    from tests.support.sales import opportunity

    opportunity(sales, expected_value=1000)
    assert call("GET", "/opportunities/export", query={"format": "csv"}).status == 200
    period = {"from_month": "2027-01", "to_month": "2027-03"}
    assert call("GET", "/reports/opportunity-projection", query=period).status == 200  # read on screen: no file, no record
    assert call("GET", "/reports/opportunity-projection", query={**period, "format": "xlsx"}).status == 200

    records = trail()
    assert [(r["action"], r["actor_id"], r["target_type"], r["target_id"]) for r in records] == [
        ("report.exported", OFFICE_ID, "report", "opportunity-projection"),
        ("opportunities.exported", OFFICE_ID, "opportunity_selection", "t1"),
    ]
    assert records[0]["details"] == {"format": "xlsx", "rows": 3}
    assert records[1]["details"] == {"format": "csv", "rows": 1, "continued": False}
    assert trail(tenant="t2") == []
