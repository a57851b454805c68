"""The contact record through the contacts function's handler, as the web client uses it."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.lambdas import call

PARIS = {"lat": 48.8566, "lon": 2.3522}


@pytest.fixture
def group(aws):
    return call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]


def new_contact(group, **fields):
    reply = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group, **fields})
    assert reply.status == 201, reply.body
    return reply.json


def table_items(aws) -> list[dict]:
    """Every item (a Scan is fine in a test: it proves nothing half-written was left)."""
    return boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]


def test_create_read_update_delete(group):
    created = new_contact(
        group,
        reference="ABC001",
        location=PARIS,
        flag="Pays late",
        site_notes="Beware of the dog",
        address={"line1": "1 rue de Rivoli", "city": "Paris", "postcode": "75001", "country": "FR"},
        main_contact={"name": "Anne", "email": "Anne@ABC.example"},
        on_site_contact={"name": "Bob", "phone": "+33 1 23 45 67 89"},
    )
    assert created["version"] == 1 and created["main_contact"]["email"] == "anne@abc.example"
    got = call("GET", f"/contacts/{created['id']}")
    assert got.headers["etag"] == '"1"' and got.json["flag"] == "Pays late"

    updated = call("PATCH", f"/contacts/{created['id']}", body={"name": "ABC Group", "flag": None}, headers={"If-Match": '"1"'})
    assert updated.status == 200, updated.body
    assert updated.json["name"] == "ABC Group" and updated.json["flag"] is None and updated.json["reference"] == "ABC001"
    assert updated.headers["etag"] == '"2"'

    assert call("DELETE", f"/contacts/{created['id']}", headers={"If-Match": '"2"'}).status == 204
    assert call("GET", f"/contacts/{created['id']}").status == 404


def test_a_located_contact_gets_the_accounts_default_zone(group):
    assert new_contact(group, location=PARIS)["zone"] == {"kind": "circle", "radius_m": 20.0}
    settings = call("GET", "/settings", role="admin")
    assert (
        call("PATCH", "/settings", role="admin", body={"default_zone_radius_m": 50}, headers={"If-Match": settings.headers["etag"]}).status
        == 200
    )
    assert new_contact(group, name="Other", location=PARIS)["zone"]["radius_m"] == 50


def test_a_resource_reads_without_the_flag_and_cannot_write(group):
    contact = new_contact(group, flag="Dangerous dog", site_notes="Code 1234")
    seen = call("GET", f"/contacts/{contact['id']}", role="resource").json
    assert "flag" not in seen and seen["site_notes"] == "Code 1234"
    assert all("flag" not in c for c in call("GET", "/contacts", role="resource").json["items"])
    assert "flag" in call("GET", "/contacts").json["items"][0]
    assert call("PATCH", f"/contacts/{contact['id']}", role="resource", body={"name": "x"}, headers={"If-Match": '"1"'}).status == 403


def test_stale_or_missing_if_match_changes_nothing(group):
    contact = new_contact(group)
    assert call("PATCH", f"/contacts/{contact['id']}", body={"name": "First"}, headers={"If-Match": '"1"'}).status == 200
    stale = call("PATCH", f"/contacts/{contact['id']}", body={"name": "Second"}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.headers["content-type"] == "application/problem+json"
    assert call("PATCH", f"/contacts/{contact['id']}", body={"name": "Third"}).status == 428
    assert call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'}).status == 412
    assert call("GET", f"/contacts/{contact['id']}").json["name"] == "First"


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"tenant": "t2", "version": 9, "id": "X"}, {"tenant", "version", "id"}),
        ({"zone": {"kind": "circle", "radius_m": 0}, "location": PARIS}, {"zone.circle.radius_m"}),
        ({"zone": {"kind": "circle", "radius_m": 100_000}, "location": PARIS}, {"zone.circle.radius_m"}),
        (
            {
                "zone": {
                    "kind": "polygon",
                    "polygon": {
                        "type": "Polygon",
                        "coordinates": [[[2.35, 48.85], [2.36, 48.86], [2.36, 48.85], [2.35, 48.86], [2.35, 48.85]]],
                    },
                },
                "location": PARIS,
            },
            {"zone.polygon.polygon"},
        ),
        (
            {
                "zone": {
                    "kind": "polygon",
                    "polygon": {"type": "Polygon", "coordinates": [[[2.0, 48.5], [2.5, 48.5], [2.5, 49.0], [2.0, 49.0], [2.0, 48.5]]]},
                },
                "location": PARIS,
            },
            {"zone.polygon.polygon"},
        ),
        (
            {"opening_hours": {"time_zone": "Europe/Atlantis", "weekly": {"mon": [{"open": "08:00", "close": "17:00"}]}}},
            {"opening_hours.time_zone"},
        ),
        ({"opening_hours": {"time_zone": "Europe/Paris", "weekly": {"mon": []}}}, {"opening_hours.weekly"}),
        (
            {"opening_hours": {"time_zone": "Europe/Paris", "weekly": {"mon": [{"open": "17:00", "close": "08:00"}]}}},
            {"opening_hours.weekly"},
        ),
        (
            {
                "opening_hours": {
                    "time_zone": "Europe/Paris",
                    "weekly": {"mon": [{"open": "08:00", "close": "12:00"}, {"open": "11:00", "close": "14:00"}]},
                }
            },
            {"opening_hours.weekly"},
        ),
        ({"name": "", "main_contact": {"name": "A", "email": "not-an-email"}}, {"name", "main_contact.email"}),
    ],
    ids=[
        "mass-assignment",
        "radius-0",
        "radius-100km",
        "bow-tie",
        "oversize-polygon",
        "time-zone",
        "never-open",
        "inverted-hours",
        "overlapping-hours",
        "several-fields",
    ],
)
def test_bad_input_is_422_naming_every_field_and_stores_nothing(aws, group, body, fields):
    before = table_items(aws)
    reply = call("POST", "/contacts", body={"name": "ABC", "group_id": group, **body})
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    named = {e["field"] for e in reply.json["errors"]}
    assert fields <= named, named
    assert table_items(aws) == before


def test_patch_with_bad_fields_leaves_the_contact_as_it_was(group):
    contact = new_contact(group, location=PARIS)
    reply = call(
        "PATCH", f"/contacts/{contact['id']}", body={"zone": {"kind": "square", "side_m": -3}, "name": None}, headers={"If-Match": '"1"'}
    )
    assert reply.status == 422
    assert call("GET", f"/contacts/{contact['id']}").json == {**contact}


def test_malformed_json_and_oversize_bodies_are_refused(aws, group):
    before = table_items(aws)
    bad = call("POST", "/contacts", raw_body='{"name": "ABC",')
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "body"
    huge = call("POST", "/contacts", raw_body='{"name": "' + "x" * 2_000_000 + '"}')
    assert huge.status == 413 and huge.headers["content-type"] == "application/problem+json"
    assert table_items(aws) == before


def test_unknown_group_is_named(group):
    reply = call("POST", "/contacts", body={"name": "ABC", "group_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "group_id"


def test_reference_is_unique_in_the_tenant_only(group):
    new_contact(group, reference="SAGE-001")
    clash = call("POST", "/contacts", body={"name": "Other", "group_id": group, "reference": "sage-001"})
    assert clash.status == 409
    other_group = call("POST", "/contact-groups", tenant="t2", role="admin", body={"name": "Customers"}).json["id"]
    assert call("POST", "/contacts", tenant="t2", body={"name": "Other", "group_id": other_group, "reference": "SAGE-001"}).status == 201


def test_changing_the_reference_frees_the_old_one(group):
    contact = new_contact(group, reference="R1")
    assert call("PATCH", f"/contacts/{contact['id']}", body={"reference": "R2"}, headers={"If-Match": '"1"'}).status == 200
    assert call("POST", "/contacts", body={"name": "New", "group_id": group, "reference": "R1"}).status == 201
    assert [c["id"] for c in call("GET", "/contacts", query={"reference": "R2"}).json["items"]] == [contact["id"]]


def test_children_and_cycles(group):
    parent = new_contact(group, name="ABC SA")
    child = new_contact(group, name="ABC SA - Paris", parent_id=parent["id"])
    grandchild = new_contact(group, name="ABC SA - Paris 1er", parent_id=child["id"])
    assert [c["id"] for c in call("GET", f"/contacts/{parent['id']}/children").json["items"]] == [child["id"]]
    cycle = call("PATCH", f"/contacts/{parent['id']}", body={"parent_id": grandchild["id"]}, headers={"If-Match": '"1"'})
    assert cycle.status == 409 and "cycle" in cycle.json["detail"]
    itself = call("PATCH", f"/contacts/{parent['id']}", body={"parent_id": parent["id"]}, headers={"If-Match": '"1"'})
    assert itself.status == 409
    assert call("DELETE", f"/contacts/{parent['id']}", headers={"If-Match": '"1"'}).status == 409
    unknown = call("POST", "/contacts", body={"name": "x", "group_id": group, "parent_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "parent_id"


def test_list_filters_and_pages_with_a_bound_cursor(group):
    sites = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    for i in range(5):
        new_contact(group, name=f"Customer {i}")
    new_contact(sites, name="Site A")
    first = call("GET", "/contacts", query={"group_id": group, "limit": 2}).json
    assert [c["name"] for c in first["items"]] == ["Customer 0", "Customer 1"]
    second = call("GET", "/contacts", query={"group_id": group, "limit": 2, "cursor": first["next_cursor"]}).json
    assert [c["name"] for c in second["items"]] == ["Customer 2", "Customer 3"]
    assert [c["name"] for c in call("GET", "/contacts", query={"group_id": sites}).json["items"]] == ["Site A"]
    # A cursor replayed on another query, or forged, is refused.
    assert call("GET", "/contacts", query={"group_id": sites, "cursor": first["next_cursor"]}).status == 422
    assert call("GET", "/contacts", query={"cursor": first["next_cursor"][:-2] + "00"}).status == 422
    assert call("GET", "/contacts", query={"limit": 500}).status == 422


def test_search_by_prefix_ignores_case_and_accents(group):
    societe = new_contact(
        group,
        name="Société Générale",
        reference="SG-75",
        address={"line1": "29 bd Haussmann", "postcode": "75009", "city": "Paris"},
        on_site_contact={"name": "Zoé", "phone": "+33 1 42 14 20 00"},
        main_contact={"name": "Z", "email": "contact@socgen.example"},
    )
    new_contact(group, name="Socrate Plomberie")

    def names(q):
        return [c["name"] for c in call("GET", "/contacts", query={"q": q}).json["items"]]

    assert set(names("soc")) == {"Socrate Plomberie", "Société Générale"}
    assert names("SOCIÉTÉ gén") == ["Société Générale"]
    assert names("generale") == ["Société Générale"]
    assert names("sg-7") == ["Société Générale"]
    assert names("7500") == ["Société Générale"]
    assert names("+33 1 42 14") == ["Société Générale"] and names("01 42 14") == ["Société Générale"]
    assert names("contact@socgen") == ["Société Générale"]
    assert names("paris") == ["Société Générale"]
    # Renaming updates what search finds, at once; deleting removes it.
    call("PATCH", f"/contacts/{societe['id']}", body={"name": "SG Paris"}, headers={"If-Match": '"1"'})
    assert names("generale") == [] and names("sg paris") == ["SG Paris"]
    call("DELETE", f"/contacts/{societe['id']}", headers={"If-Match": '"2"'})
    assert names("sg") == []


def test_exact_reference_and_name_rank_first(group):
    new_contact(group, name="Dupont Frères")
    new_contact(group, name="Dupont", reference="DUP")
    assert call("GET", "/contacts", query={"q": "dupont"}).json["items"][0]["name"] == "Dupont"


def test_zone_check_says_inside_and_how_far(group):
    contact = new_contact(group, location=PARIS, zone={"kind": "square", "side_m": 100})
    inside = call("GET", f"/contacts/{contact['id']}/zone", query={"lat": 48.8570, "lon": 2.3522}).json
    assert inside["inside"] is True and 40 < inside["distance_m"] < 50
    outside = call("GET", f"/contacts/{contact['id']}/zone", query={"lat": 48.8600, "lon": 2.3522}, role="resource").json
    assert outside["inside"] is False and 370 < outside["distance_m"] < 385 and outside["distance_to_zone_m"] > 300
    unlocated = new_contact(group, name="Nowhere")
    assert call("GET", f"/contacts/{unlocated['id']}/zone", query={"lat": 1, "lon": 1}).status == 409
    assert call("GET", f"/contacts/{contact['id']}/zone", query={"lat": 100, "lon": 1}).status == 422


def test_availability_warns_outside_opening_hours(group):
    hours = {"time_zone": "Europe/Paris", "weekly": {d: [{"open": "08:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}}
    contact = new_contact(group, opening_hours=hours)
    # Monday 2030-01-07, 09:00-10:00 Paris = 08:00-09:00 UTC.
    ok = call("POST", f"/contacts/{contact['id']}/availability", body={"start": "2030-01-07T08:00:00Z", "end": "2030-01-07T09:00:00Z"}).json
    assert ok["within"] is True and ok["reasons"] == []
    late = call(
        "POST", f"/contacts/{contact['id']}/availability", body={"start": "2030-01-07T16:00:00Z", "end": "2030-01-07T17:00:00Z"}
    ).json
    assert late["within"] is False and "closing" in late["reasons"][0]
    saturday = call(
        "POST", f"/contacts/{contact['id']}/availability", body={"start": "2030-01-12T09:00:00Z", "end": "2030-01-12T10:00:00Z"}
    ).json
    assert saturday["within"] is False and "closed" in saturday["reasons"][0].lower()
    always = new_contact(group, name="24/7")
    assert (
        call("POST", f"/contacts/{always['id']}/availability", body={"start": "2030-01-12T01:00:00Z", "end": "2030-01-12T02:00:00Z"}).json[
            "always_open"
        ]
        is True
    )
    inverted = call(
        "POST", f"/contacts/{contact['id']}/availability", body={"start": "2030-01-07T10:00:00Z", "end": "2030-01-07T09:00:00Z"}
    )
    assert inverted.status == 422
    decades = call("POST", f"/contacts/{contact['id']}/availability", body={"start": "2030-01-07T10:00:00Z", "end": "2530-01-07T09:00:00Z"})
    assert decades.status == 422 and "31 days" in decades.json["detail"]


def test_groups_rename_and_retire(group):
    other = call("POST", "/contact-groups", role="admin", body={"name": "Suppliers"}).json
    assert call("POST", "/contact-groups", role="admin", body={"name": "customers"}).status == 409
    contact = new_contact(group)
    in_use = call("DELETE", f"/contact-groups/{group}", role="admin", headers={"If-Match": '"1"'})
    assert in_use.status == 409 and "1 contact" in in_use.json["detail"]
    assert call("PATCH", f"/contacts/{contact['id']}", body={"group_id": other["id"]}, headers={"If-Match": '"1"'}).status == 200
    counts = {g["name"]: g["contact_count"] for g in call("GET", "/contact-groups").json["items"]}
    assert counts == {"Customers": 0, "Suppliers": 1}
    renamed = call("PATCH", f"/contact-groups/{group}", role="admin", body={"name": "Clients"}, headers={"If-Match": '"1"'})
    assert renamed.status == 200 and renamed.json["name"] == "Clients"
    assert call("DELETE", f"/contact-groups/{group}", role="admin", headers={"If-Match": '"1"'}).status == 412
    assert call("DELETE", f"/contact-groups/{group}", role="admin", headers={"If-Match": '"2"'}).status == 204
    assert call("POST", "/contact-groups", role="admin", body={"name": "Clients"}).status == 201


def test_throttling_is_503_with_retry_after_and_nothing_half_written(aws, group, monkeypatch):
    from crm.platform import aws as platform_aws

    client = platform_aws.table().meta.client

    def throttled(**kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems")

    before = table_items(aws)
    with monkeypatch.context() as patch:
        patch.setattr(client, "transact_write_items", throttled)
        reply = call("POST", "/contacts", body={"name": "ABC", "group_id": group, "reference": "R-1"})
    assert reply.status == 503 and reply.headers["retry-after"] == "1"
    assert table_items(aws) == before


def test_idempotency_key_replays_the_first_answer(aws, group):
    key = {"Idempotency-Key": "8e0f6a1c-create-abc"}
    first = call("POST", "/contacts", body={"name": "ABC", "group_id": group}, headers=key)
    again = call("POST", "/contacts", body={"name": "ABC", "group_id": group}, headers=key)
    assert first.status == again.status == 201 and first.json["id"] == again.json["id"]
    assert len(call("GET", "/contacts").json["items"]) == 1
    different = call("POST", "/contacts", body={"name": "XYZ", "group_id": group}, headers=key)
    assert different.status == 422 and different.json["errors"][0]["field"] == "Idempotency-Key"
    assert len(call("GET", "/contacts").json["items"]) == 1
    # Keys are per user: someone else's identical key is a new request.
    assert (
        call("POST", "/contacts", body={"name": "ABC", "group_id": group}, headers=key, email="other@t1.example").json["id"]
        != first.json["id"]
    )


def test_a_contact_with_persons_or_jobs_is_not_deleted(group):
    contact = new_contact(group)
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe"}).json
    refused = call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    assert refused.status == 409 and "1 person" in refused.json["detail"]
    assert call("DELETE", f"/persons/{person['id']}", headers={"If-Match": f'"{person["version"]}"'}).status == 204

    job_type = call("POST", "/job-types", role="admin", body={"name": "Boiler service", "duration_minutes": 60}).json
    assert call("POST", "/jobs", body={"contact_id": contact["id"], "job_type_id": job_type["id"]}).status == 201
    refused = call("DELETE", f"/contacts/{contact['id']}", headers={"If-Match": '"1"'})
    assert refused.status == 409 and "1 job" in refused.json["detail"]
    assert call("GET", f"/contacts/{contact['id']}").status == 200


def test_search_narrowed_by_group_follows_a_contact_that_moved(group):
    suppliers = call("POST", "/contact-groups", role="admin", body={"name": "Suppliers"}).json["id"]
    zebra = new_contact(group, name="Zebra Plumbing")
    call("POST", f"/contacts/{zebra['id']}/persons", body={"name": "Yves Martin", "email": "yves@zebra.example"})
    call("PATCH", f"/contacts/{zebra['id']}", body={"group_id": suppliers}, headers={"If-Match": '"1"'})

    def found(q, g):
        return [c["name"] for c in call("GET", "/contacts", query={"q": q, "group_id": g}).json["items"]]

    assert found("zeb", suppliers) == ["Zebra Plumbing"] and found("zeb", group) == []
    assert found("yves@", suppliers) == ["Zebra Plumbing"] and found("yves@", group) == []


def test_exact_matches_lead_the_first_page_even_when_the_prefix_order_puts_them_later(group):
    for letter in "ABCDEF":
        new_contact(group, name=f"Durand {letter}")  # found by "durand" too
    for letter in "abcefg":
        new_contact(group, name=f"Duran{letter}")  # not found by "durand"
    target = new_contact(group, name="Durand")
    coded = new_contact(group, name="Zed", reference="DURAND")
    seen, cursor, pages = [], None, []
    while True:
        page = call("GET", "/contacts", query={"q": "durand", "limit": 3, "cursor": cursor}).json
        pages.append([c["id"] for c in page["items"]])
        seen += pages[-1]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages[0][:2] == [coded["id"], target["id"]]  # the exact reference, then the exact name
    assert all(len(p) <= 3 for p in pages)
    assert len(seen) == len(set(seen)) == 8  # Durand, the reference, and the six "Durand X"
