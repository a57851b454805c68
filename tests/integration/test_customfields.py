"""Custom fields per contact group, through the handlers: definitions, order, copy, answers."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support.events import deliver
from tests.support.lambdas import call

ADMIN = {"role": "admin"}

EVERY_TYPE = [
    {"label": "Gate code", "type": "text", "visible_to_resources": True},
    {"label": "Access notes", "type": "long_text", "visible_to_resources": True},
    {"label": "Floors", "type": "number"},
    {"label": "Contract start", "type": "date"},
    {"label": "Dog on site", "type": "yes_no", "visible_to_resources": True},
    {"label": "Boiler", "type": "single_choice", "options": [{"label": "Gas"}, {"label": "Oil"}]},
    {"label": "Equipment", "type": "multiple_choice", "options": [{"label": "Ladder"}, {"label": "Lift"}, {"label": "Scaffold"}]},
]


def if_match(version) -> dict:
    return {"If-Match": f'"{version}"'}


def new_group(name: str, tenant: str = "t1") -> str:
    return call("POST", "/contact-groups", tenant=tenant, body={"name": name}, **ADMIN).json["id"]


def define(group_id: str, body: dict, tenant: str = "t1") -> dict:
    reply = call("POST", f"/contact-groups/{group_id}/fields", tenant=tenant, body=body, **ADMIN)
    assert reply.status == 201, reply.body
    return reply.json


def fields_of(group_id: str, role: str = "admin", tenant: str = "t1"):
    return call("GET", f"/contact-groups/{group_id}/fields", tenant=tenant, role=role)


def new_contact(group_id: str, name: str = "ABC") -> dict:
    return call("POST", "/contacts", body={"name": name, "group_id": group_id}).json


def answers(contact_id: str, role: str = "office", tenant: str = "t1"):
    return call("GET", f"/contacts/{contact_id}/fields", tenant=tenant, role=role)


def answer(contact_id: str, values: dict, version, role: str = "office", tenant: str = "t1"):
    return call("PATCH", f"/contacts/{contact_id}/fields", tenant=tenant, role=role, body={"values": values}, headers=if_match(version))


def by_label(reply) -> dict:
    return {f["label"]: f for f in (reply.json.get("items") or reply.json.get("fields"))}


@pytest.fixture
def site(aws):
    """A group with one field of every type and a contact in it."""
    group_id = new_group("Housing")
    for body in EVERY_TYPE:
        define(group_id, body)
    contact = new_contact(group_id)
    return {"group_id": group_id, "contact": contact, "fields": by_label(fields_of(group_id))}


def option(field: dict, label: str) -> str:
    return next(o["id"] for o in field["options"] if o["label"] == label)


# ---------------------------------------------------------------- definitions


def test_fields_of_every_type_are_listed_in_display_order_with_the_lists_etag(site):
    reply = fields_of(site["group_id"])
    assert reply.status == 200 and reply.headers["etag"] == '"7"' and reply.json["version"] == 7
    assert [f["label"] for f in reply.json["items"]] == [b["label"] for b in EVERY_TYPE]
    assert [f["position"] for f in reply.json["items"]] == list(range(7))
    boiler = site["fields"]["Boiler"]
    assert boiler["type"] == "single_choice" and [o["label"] for o in boiler["options"]] == ["Gas", "Oil"]
    assert site["fields"]["Floors"]["options"] is None and site["fields"]["Floors"]["required"] is False


def test_office_reads_every_definition_and_a_resource_only_the_visible_ones(site):
    assert len(fields_of(site["group_id"], role="office").json["items"]) == 7
    assert [f["label"] for f in fields_of(site["group_id"], role="resource").json["items"]] == ["Gate code", "Access notes", "Dog on site"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "Colour", "type": "single_choice"}, "body"),
        ({"label": "Colour", "type": "text", "options": [{"label": "x"}]}, "body"),
        ({"label": "Colour", "type": "multiple_choice", "options": [{"label": "Red"}, {"label": "red"}]}, "options.1.label"),
        ({"label": "Colour", "type": "colour"}, "type"),
        ({"label": "", "type": "text"}, "label"),
        ({"label": "Colour", "type": "text", "visible": True}, "visible"),
    ],
)
def test_bad_definitions_are_refused_and_nothing_is_stored(site, body, field):
    reply = call("POST", f"/contact-groups/{site['group_id']}/fields", body=body, **ADMIN)
    assert reply.status == 422, reply.body
    assert any(e["field"] == field for e in reply.json["errors"]), reply.json
    assert fields_of(site["group_id"]).json["version"] == 7


def test_a_label_is_used_once_per_group(site):
    reply = call("POST", f"/contact-groups/{site['group_id']}/fields", body={"label": "GATE CODE", "type": "text"}, **ADMIN)
    assert reply.status == 409


def test_editing_a_field_keeps_its_type_and_its_option_ids(site):
    boiler = site["fields"]["Boiler"]
    gas, oil = option(boiler, "Gas"), option(boiler, "Oil")
    path = f"/contact-groups/{site['group_id']}/fields/{boiler['id']}"
    refused = call("PATCH", path, body={"type": "text"}, headers=if_match(7), **ADMIN)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "type"
    body = {"label": "Heating", "required": True, "options": [{"id": oil, "label": "Fuel oil"}, {"label": "Heat pump"}]}
    reply = call("PATCH", path, body=body, headers=if_match(7), **ADMIN)
    assert reply.status == 200 and reply.headers["etag"] == '"8"'
    assert reply.json["label"] == "Heating" and reply.json["required"] and reply.json["position"] == 5
    assert [o["label"] for o in reply.json["options"]] == ["Fuel oil", "Heat pump"]
    assert reply.json["options"][0]["id"] == oil and gas not in {o["id"] for o in reply.json["options"]}


def test_reorder_sets_the_display_order(site):
    ids = [f["id"] for f in fields_of(site["group_id"]).json["items"]]
    wanted = ids[::-1]
    reply = call("PUT", f"/contact-groups/{site['group_id']}/fields/order", body={"field_ids": wanted}, headers=if_match(7), **ADMIN)
    assert reply.status == 200 and reply.headers["etag"] == '"8"'
    assert [f["id"] for f in fields_of(site["group_id"]).json["items"]] == wanted
    assert [f["id"] for f in fields_of(site["group_id"], role="resource").json["items"]] == [
        i for i in wanted if i in {site["fields"][n]["id"] for n in ("Gate code", "Access notes", "Dog on site")}
    ]


@pytest.mark.parametrize("kind", ["omitted", "repeated", "unknown"])
def test_reorder_with_a_list_that_omits_or_repeats_a_field_is_refused(site, kind):
    ids = [f["id"] for f in fields_of(site["group_id"]).json["items"]]
    stranger = "01JZZZZZZZZZZZZZZZZZZZZZZZ"
    bad = {"omitted": ids[1:], "repeated": [*ids, ids[0]], "unknown": [*ids[:-1], stranger]}[kind]
    reply = call("PUT", f"/contact-groups/{site['group_id']}/fields/order", body={"field_ids": bad}, headers=if_match(7), **ADMIN)
    assert reply.status == 422
    named = {"omitted": f"{ids[0]} is missing", "repeated": f"{ids[0]} is listed 2 times", "unknown": f"{stranger} is not a field"}[kind]
    assert any(e["message"].startswith(named) for e in reply.json["errors"]), reply.json
    after = fields_of(site["group_id"]).json
    assert after["version"] == 7 and [f["id"] for f in after["items"]] == ids


def test_two_admins_editing_the_list_at_once_one_wins_the_other_gets_412_nothing_lost(site):
    group_id = site["group_id"]
    version = fields_of(group_id).json["version"]
    floors, dog = site["fields"]["Floors"], site["fields"]["Dog on site"]
    first = call(
        "PATCH", f"/contact-groups/{group_id}/fields/{floors['id']}", body={"label": "Storeys"}, headers=if_match(version), **ADMIN
    )
    second = call("DELETE", f"/contact-groups/{group_id}/fields/{dog['id']}", headers=if_match(version), **ADMIN)
    assert first.status == 200 and second.status == 412
    assert second.headers["content-type"] == "application/problem+json"
    for stale in (
        call(
            "PUT",
            f"/contact-groups/{group_id}/fields/order",
            body={"field_ids": [f["id"] for f in site["fields"].values()]},
            headers=if_match(version),
            **ADMIN,
        ),
        call("POST", f"/contact-groups/{group_id}/fields", body={"label": "Late", "type": "text"}, headers=if_match(version), **ADMIN),
    ):
        assert stale.status == 412
    # The loser reloads and applies its change: both changes are there.
    retry = call("DELETE", f"/contact-groups/{group_id}/fields/{dog['id']}", headers=if_match(version + 1), **ADMIN)
    assert retry.status == 204 and retry.headers["etag"] == f'"{version + 2}"'
    labels = list(by_label(fields_of(group_id)))
    assert "Storeys" in labels and "Dog on site" not in labels and len(labels) == 6


def test_two_admins_adding_fields_at_once_both_land(site, monkeypatch):
    """Without If-Match, a create that loses the race re-reads and appends again (an append
    overwrites nobody's change)."""
    from crm.customfields import repository

    real, raced = repository.get_fields, []

    def read_then_someone_else_writes(tenant, group_id):
        snapshot = real(tenant, group_id)
        if not raced:
            raced.append(True)
            define(group_id, {"label": "Theirs", "type": "text"})
        return snapshot

    monkeypatch.setattr(repository, "get_fields", read_then_someone_else_writes)
    mine = call("POST", f"/contact-groups/{site['group_id']}/fields", body={"label": "Mine", "type": "text"}, **ADMIN)
    assert mine.status == 201 and mine.headers["etag"] == '"9"' and mine.json["position"] == 8
    assert list(by_label(fields_of(site["group_id"])))[-2:] == ["Theirs", "Mine"]


def test_changing_a_field_without_if_match_is_refused(site):
    floors = site["fields"]["Floors"]
    assert call("PATCH", f"/contact-groups/{site['group_id']}/fields/{floors['id']}", body={"label": "x"}, **ADMIN).status == 428


def test_an_unknown_field_is_not_found(site):
    path = f"/contact-groups/{site['group_id']}/fields/01JZZZZZZZZZZZZZZZZZZZZZZZ"
    assert call("PATCH", path, body={"label": "x"}, headers=if_match(7), **ADMIN).status == 404
    assert call("DELETE", path, headers=if_match(7), **ADMIN).status == 404


# ---------------------------------------------------------------- copy


def test_copy_into_an_empty_group(site):
    target = new_group("Offices")
    reply = call("POST", f"/contact-groups/{target}/fields/copy", body={"from_group_id": site["group_id"]}, **ADMIN)
    assert reply.status == 200, reply.body
    assert reply.json["fields_dropped"] == 0 and reply.headers["etag"] == '"1"'
    copied = by_label(fields_of(target))
    assert list(copied) == [b["label"] for b in EVERY_TYPE]
    assert {f["id"] for f in copied.values()}.isdisjoint(f["id"] for f in site["fields"].values())
    assert copied["Boiler"]["options"] == site["fields"]["Boiler"]["options"]
    assert fields_of(site["group_id"]).json["version"] == 7  # the source is untouched


def test_copy_onto_a_group_with_fields_is_refused_with_counts_then_replaces_when_confirmed(site):
    target = new_group("Offices")
    code = define(target, {"label": "Door code", "type": "text"})
    alarm = define(target, {"label": "Alarm", "type": "yes_no"})
    one, two = new_contact(target, "One"), new_contact(target, "Two")
    assert answer(one["id"], {code["id"]: "1234", alarm["id"]: True}, 0).status == 200
    assert answer(two["id"], {alarm["id"]: False}, 0).status == 200
    path = f"/contact-groups/{target}/fields/copy"

    refused = call("POST", path, body={"from_group_id": site["group_id"]}, **ADMIN)
    assert refused.status == 409 and refused.headers["content-type"] == "application/problem+json"
    assert (refused.json["fields_dropped"], refused.json["contacts_affected"], refused.json["values_dropped"]) == (2, 2, 3)
    assert "2 fields" in refused.json["detail"] and "3 answers" in refused.json["detail"]
    assert list(by_label(fields_of(target))) == ["Door code", "Alarm"]
    assert answers(one["id"]).json["version"] == 1

    stale = call("POST", path, body={"from_group_id": site["group_id"], "replace": True}, headers=if_match(1), **ADMIN)
    assert stale.status == 412
    done = call(
        "POST", path, body={"from_group_id": site["group_id"], "replace": True}, headers={"If-Match": refused.headers["etag"]}, **ADMIN
    )
    assert done.status == 200 and done.json["values_dropped"] == 3
    assert list(by_label(fields_of(target))) == [b["label"] for b in EVERY_TYPE]
    after = answers(one["id"]).json
    assert all(f["value"] is None for f in after["fields"]) and after["version"] == 2  # the dropped answers were deleted
    # Nothing is left to drop: a second copy only counts the (empty) answers to the new fields.
    again = call("POST", path, body={"from_group_id": site["group_id"]}, **ADMIN)
    assert again.status == 409 and again.json["values_dropped"] == 0 and again.json["fields_dropped"] == 7


def test_copy_from_an_unknown_or_the_same_group_is_refused(site):
    other_tenant_group = new_group("Theirs", tenant="t2")
    for source in (other_tenant_group, site["group_id"]):
        reply = call("POST", f"/contact-groups/{site['group_id']}/fields/copy", body={"from_group_id": source, "replace": True}, **ADMIN)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == "from_group_id"
    assert fields_of(site["group_id"]).json["version"] == 7


# ---------------------------------------------------------------- answers


def test_answers_of_every_type_are_stored_and_read_back(site):
    f, contact_id = site["fields"], site["contact"]["id"]
    values = {
        f["Gate code"]["id"]: "B42",
        f["Access notes"]["id"]: "Ring twice.\nKey at the lodge.",
        f["Floors"]["id"]: 4,
        f["Contract start"]["id"]: "2026-01-15",
        f["Dog on site"]["id"]: True,
        f["Boiler"]["id"]: option(f["Boiler"], "Oil"),
        f["Equipment"]["id"]: [option(f["Equipment"], "Scaffold"), option(f["Equipment"], "Ladder")],
    }
    empty = answers(contact_id)
    assert empty.status == 200 and empty.headers["etag"] == '"0"' and all(x["value"] is None for x in empty.json["fields"])
    reply = answer(contact_id, values, 0)
    assert reply.status == 200 and reply.headers["etag"] == '"1"'
    read = by_label(answers(contact_id))
    assert read["Floors"]["value"] == 4 and read["Dog on site"]["value"] is True
    assert read["Equipment"]["value"] == [option(f["Equipment"], "Ladder"), option(f["Equipment"], "Scaffold")]
    assert {x["id"]: x["value"] for x in read.values()} == {**values, f["Equipment"]["id"]: read["Equipment"]["value"]}
    cleared = answer(contact_id, {f["Floors"]["id"]: None}, 1)
    assert cleared.status == 200 and by_label(cleared)["Floors"]["value"] is None and by_label(cleared)["Gate code"]["value"] == "B42"


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Gate code", "x" * 201),
        ("Access notes", 12),
        ("Floors", "four"),
        ("Floors", True),
        ("Contract start", "15/01/2026"),
        ("Dog on site", "yes"),
        ("Boiler", "Gas"),
        ("Equipment", ["01JZZZZZZZZZZZZZZZZZZZZZZZ"]),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field_and_nothing_is_stored(site, label, value):
    f, contact_id = site["fields"], site["contact"]["id"]
    assert answer(contact_id, {f["Gate code"]["id"]: "before"}, 0).status == 200
    reply = answer(contact_id, {f[label]["id"]: value, f["Floors"]["id"] if label != "Floors" else f["Gate code"]["id"]: None}, 1)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == f"values.{f[label]['id']}" and label in reply.json["errors"][0]["message"]
    after = answers(contact_id)
    assert after.json["version"] == 1 and by_label(after)["Gate code"]["value"] == "before"


def test_a_field_of_no_group_or_of_another_group_is_refused(site):
    other = define(new_group("Offices"), {"label": "Other", "type": "text"})
    for field_id in (other["id"], "01JZZZZZZZZZZZZZZZZZZZZZZZ"):
        reply = answer(site["contact"]["id"], {field_id: "x"}, 0)
        assert reply.status == 422 and reply.json["errors"][0] == {
            "field": f"values.{field_id}",
            "message": "is not a field of this contact's group",
        }
    assert answer(site["contact"]["id"], {"not-an-id": "x"}, 0).status == 422
    assert answers(site["contact"]["id"]).json["version"] == 0


def test_answers_are_versioned_on_their_own(site):
    contact_id, gate = site["contact"]["id"], site["fields"]["Gate code"]["id"]
    assert answer(contact_id, {gate: "A"}, 0).status == 200
    assert answer(contact_id, {gate: "B"}, 0).status == 412
    assert call("PATCH", f"/contacts/{contact_id}/fields", body={"values": {gate: "C"}}).status == 428
    assert by_label(answers(contact_id))["Gate code"]["value"] == "A"


def test_required_fields_must_be_answered(site):
    contact_id, f = site["contact"]["id"], site["fields"]
    floors = f["Floors"]
    assert (
        call(
            "PATCH", f"/contact-groups/{site['group_id']}/fields/{floors['id']}", body={"required": True}, headers=if_match(7), **ADMIN
        ).status
        == 200
    )
    missing = answer(contact_id, {f["Gate code"]["id"]: "B42"}, 0)
    assert missing.status == 422 and missing.json["errors"] == [{"field": f"values.{floors['id']}", "message": "Floors: is required"}]
    assert answer(contact_id, {f["Gate code"]["id"]: "B42", floors["id"]: 3}, 0).status == 200
    cleared = answer(contact_id, {floors["id"]: None}, 1)
    assert cleared.status == 422 and cleared.json["errors"][0]["field"] == f"values.{floors['id']}"
    assert by_label(answers(contact_id))["Floors"]["value"] == 3


def test_a_resource_sees_and_answers_only_visible_fields_and_nothing_else_of_the_contact_changes(site):
    contact, f = site["contact"], site["fields"]
    assert answer(contact["id"], {f["Floors"]["id"]: 4, f["Gate code"]["id"]: "old"}, 0).status == 200
    seen = answers(contact["id"], role="resource")
    assert seen.status == 200 and list(by_label(seen)) == ["Gate code", "Access notes", "Dog on site"]

    hidden = answer(contact["id"], {f["Floors"]["id"]: 5}, 1, role="resource")
    assert hidden.status == 422 and hidden.json["errors"][0]["message"] == "is not a field of this contact's group"
    reply = answer(contact["id"], {f["Gate code"]["id"]: "B42", f["Dog on site"]["id"]: True}, 1, role="resource")
    assert reply.status == 200 and list(by_label(reply)) == ["Gate code", "Access notes", "Dog on site"]

    staff_view = by_label(answers(contact["id"]))
    assert staff_view["Gate code"]["value"] == "B42" and staff_view["Floors"]["value"] == 4
    record = call("GET", f"/contacts/{contact['id']}")
    assert record.json["version"] == contact["version"] and record.json["updated_at"] == contact["updated_at"]


def test_deleting_a_field_drops_its_answers(site):
    contact_id, f = site["contact"]["id"], site["fields"]
    assert answer(contact_id, {f["Floors"]["id"]: 4, f["Gate code"]["id"]: "B42"}, 0).status == 200
    assert call("DELETE", f"/contact-groups/{site['group_id']}/fields/{f['Floors']['id']}", headers=if_match(7), **ADMIN).status == 204
    after = answers(contact_id).json
    assert "Floors" not in by_label(answers(contact_id)) and after["version"] == 2
    assert by_label(answers(contact_id))["Gate code"]["value"] == "B42"


def test_a_contact_moved_to_another_group_answers_that_groups_fields(site):
    contact, f = site["contact"], site["fields"]
    assert answer(contact["id"], {f["Gate code"]["id"]: "B42"}, 0).status == 200
    offices = new_group("Offices")
    badge = define(offices, {"label": "Badge", "type": "text"})
    moved = call("PATCH", f"/contacts/{contact['id']}", body={"group_id": offices}, headers=if_match(contact["version"]))
    assert moved.status == 200, moved.body
    read = answers(contact["id"]).json
    assert read["group_id"] == offices and [x["label"] for x in read["fields"]] == ["Badge"] and read["fields"][0]["value"] is None
    assert answer(contact["id"], {badge["id"]: "7"}, 1).status == 200


# ---------------------------------------------------------------- tenants


def test_another_tenants_group_and_contact_are_not_found(site):
    group_id, contact_id = site["group_id"], site["contact"]["id"]
    gate = site["fields"]["Gate code"]["id"]
    assert fields_of(group_id, tenant="t2").status == 404
    assert call("POST", f"/contact-groups/{group_id}/fields", tenant="t2", body={"label": "x", "type": "text"}, **ADMIN).status == 404
    assert (
        call("PATCH", f"/contact-groups/{group_id}/fields/{gate}", tenant="t2", body={"label": "x"}, headers=if_match(7), **ADMIN).status
        == 404
    )
    assert answers(contact_id, tenant="t2").status == 404
    assert answer(contact_id, {gate: "x"}, 0, tenant="t2").status == 404
    theirs = new_group("Theirs", tenant="t2")
    stolen = call("POST", f"/contact-groups/{theirs}/fields/copy", tenant="t2", body={"from_group_id": group_id}, **ADMIN)
    assert stolen.status == 422 and fields_of(theirs, tenant="t2").json["items"] == []
    assert fields_of(group_id).json["version"] == 7 and answers(contact_id).json["version"] == 0


def test_deleting_the_contact_drops_its_answers(site, aws):
    contact, f = site["contact"], site["fields"]
    assert answer(contact["id"], {f["Gate code"]["id"]: "B42"}, 0).status == 200
    assert call("DELETE", f"/contacts/{contact['id']}", headers=if_match(contact["version"])).status == 204
    deliver(aws)  # the answers go on the ContactDeleted event
    items = boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]
    assert [i["SK"] for i in items if contact["id"] in json.dumps(i, default=str)] == ["EVENT"]  # but the event's own marker
