"""Persons at a contact, tags, GDPR consent, export and erasure, through the people function."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlparse

import boto3
import pytest

from tests.support.lambdas import call, invoke
from tests.support.mail import sent

JANE = {"name": "Jane Doe", "email": "jane.doe@acme.test", "mobile": "+44 20 7946 0000", "job_title": "Facilities manager"}


def table_items(aws) -> list[dict]:
    return boto3.resource("dynamodb").Table(aws["Table"]).scan()["Items"]


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json


def tag(name: str, colour: str = "#336699") -> dict:
    reply = call("POST", "/tags", role="admin", body={"name": name, "colour": colour})
    assert reply.status == 201, reply.body
    return reply.json


def person(contact_id: str, **fields) -> dict:
    reply = call("POST", f"/contacts/{contact_id}/persons", body=fields)
    assert reply.status == 201, reply.body
    return reply.json


def names(path: str, **query) -> list[str]:
    reply = call("GET", path, query=query)
    assert reply.status == 200, reply.body
    return [p["name"] for p in reply.json["items"]]


def found(q: str) -> list[str]:
    return [c["name"] for c in call("GET", "/contacts", query={"q": q}).json["items"]]


# ---------------------------------------------------------------- persons


def test_create_read_update_delete(contact):
    reply = call("POST", f"/contacts/{contact['id']}/persons", body={**JANE, "receives_financial_documents": True})
    assert reply.status == 201 and reply.headers["etag"] == '"1"' and reply.headers["location"] == f"/persons/{reply.json['id']}"
    jane = reply.json
    assert jane["contact_id"] == contact["id"] and jane["consent"]["status"] == "awaiting" and jane["erased_at"] is None
    assert call("GET", f"/persons/{jane['id']}").json == jane

    updated = call("PATCH", f"/persons/{jane['id']}", body={"job_title": None, "landline": "01632 960001"}, headers={"If-Match": '"1"'})
    assert updated.status == 200 and updated.headers["etag"] == '"2"'
    assert updated.json["job_title"] is None and updated.json["landline"] == "01632 960001" and updated.json["email"] == JANE["email"]

    assert call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"2"'}).status == 204
    assert call("GET", f"/persons/{jane['id']}").status == 404
    assert not [i for i in table_items_now() if jane["id"] in json.dumps(i, default=str)]


def table_items_now() -> list[dict]:
    from crm.platform import settings

    return boto3.resource("dynamodb").Table(settings.table_name()).scan()["Items"]


def test_stale_or_missing_if_match_changes_nothing(contact):
    jane = person(contact["id"], **JANE)
    assert call("PATCH", f"/persons/{jane['id']}", body={"name": "X"}, headers={"If-Match": '"7"'}).status == 412
    assert call("PATCH", f"/persons/{jane['id']}", body={"name": "X"}).status == 428
    assert call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"7"'}).status == 412
    assert call("GET", f"/persons/{jane['id']}").json == jane


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Jane", "email": "not-an-address"}, {"email"}),
        ({"name": "", "mobile": "call me"}, {"name", "mobile"}),
        ({"name": "Jane", "receives_marketing": True}, {"body"}),
        ({"name": "Jane", "consent": {"status": "maybe", "medium": "email"}}, {"consent.status"}),
        ({"name": "Jane", "nickname": "JD"}, {"nickname"}),
    ],
)
def test_bad_input_is_422_naming_the_fields_and_stores_nothing(aws, contact, body, fields):
    before = table_items(aws)
    reply = call("POST", f"/contacts/{contact['id']}/persons", body=body)
    assert reply.status == 422 and reply.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in reply.json["errors"]} == fields, reply.json
    assert table_items(aws) == before


def test_a_patch_is_validated_against_the_whole_record(contact):
    jane = person(contact["id"], **JANE, receives_marketing=True)
    reply = call("PATCH", f"/persons/{jane['id']}", body={"email": None}, headers={"If-Match": '"1"'})
    assert reply.status == 422 and "email" in reply.json["detail"]
    assert call("PATCH", f"/persons/{jane['id']}", body={"name": None}, headers={"If-Match": '"1"'}).status == 422
    assert call("GET", f"/persons/{jane['id']}").json == jane


def test_a_contacts_persons_by_name_paged(contact):
    for name in ("Carol", "alice", "Bob"):
        person(contact["id"], name=name)
    other = call("POST", "/contacts", body={"name": "Other", "group_id": contact["group_id"]}).json
    person(other["id"], name="Dave")
    first = call("GET", f"/contacts/{contact['id']}/persons", query={"limit": 2}).json
    assert [p["name"] for p in first["items"]] == ["alice", "Bob"] and first["next_cursor"]
    rest = call("GET", f"/contacts/{contact['id']}/persons", query={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [p["name"] for p in rest["items"]] == ["Carol"] and rest["next_cursor"] is None
    assert call("GET", f"/contacts/{other['id']}/persons", query={"cursor": first["next_cursor"]}).status == 422
    assert names("/persons") == ["alice", "Bob", "Carol", "Dave"]
    assert call("GET", "/contacts/01JABCDEFGHJKMNPQRSTVWXYZ0/persons").status == 404


def test_a_resource_and_a_customer_see_no_persons(contact):
    jane = person(contact["id"], **JANE)
    for role in ("resource", "customer"):
        assert call("GET", f"/persons/{jane['id']}", role=role).status == 403
        assert call("GET", f"/contacts/{contact['id']}/persons", role=role).status == 403


def test_another_tenant_sees_nothing_and_cannot_erase(aws, contact):
    jane = person(contact["id"], **JANE, tag_ids=[tag("VIP")["id"]])
    assert call("GET", "/persons", tenant="t2").json["items"] == []
    assert call("GET", "/tags", tenant="t2").json["items"] == []
    assert call("GET", "/contacts", tenant="t2", query={"q": "jane"}).json["items"] == []
    before = table_items(aws)
    assert call("POST", f"/persons/{jane['id']}/erase", tenant="t2", role="admin").status == 404
    assert call("POST", f"/persons/{jane['id']}/export", tenant="t2", role="admin", body={}).status == 404
    assert table_items(aws) == before


# ---------------------------------------------------------------- search


def test_search_finds_the_contact_by_its_persons_name_email_and_phone(contact):
    jane = person(contact["id"], **JANE)
    for q in ("jane", "JANE D", "doe", "jane.doe@", "2079", "020 7946", "+44 20"):
        assert found(q) == ["ABC SA"], q
    assert found("facilities") == []

    changed = call(
        "PATCH", f"/persons/{jane['id']}", body={"email": "j.smith@acme.test", "name": "Jane Smith"}, headers={"If-Match": '"1"'}
    )
    assert changed.status == 200
    assert found("jane.doe") == [] and found("doe") == []
    assert found("j.smith") == ["ABC SA"] and found("smith") == ["ABC SA"]

    assert call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"2"'}).status == 204
    for q in ("jane", "j.smith", "2079"):
        assert found(q) == [], q


def test_a_persons_terms_do_not_touch_the_contacts_own(contact):
    jane = person(contact["id"], name="Abby Cole")
    call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"1"'})
    assert found("abc") == ["ABC SA"]


# ---------------------------------------------------------------- tags


def test_tags_are_admins_to_write_and_staffs_to_read(aws):
    vip = tag("VIP", "#FF0000")
    assert call("GET", "/tags", role="office").json["items"] == [vip]
    assert call("POST", "/tags", role="office", body={"name": "X", "colour": "#000000"}).status == 403
    assert call("GET", "/tags", role="resource").status == 403

    renamed = call("PATCH", f"/tags/{vip['id']}", role="admin", body={"colour": "#00ff00"}, headers={"If-Match": '"1"'})
    assert renamed.status == 200 and renamed.json["colour"] == "#00ff00" and renamed.headers["etag"] == '"2"'
    assert call("PATCH", f"/tags/{vip['id']}", role="admin", body={"name": "V"}, headers={"If-Match": '"1"'}).status == 412


def test_a_duplicate_tag_name_is_409_and_stores_nothing(aws):
    vip = tag("VIP")
    other = tag("Prospects")
    before = table_items(aws)
    reply = call("POST", "/tags", role="admin", body={"name": "vip", "colour": "#123456"})
    assert reply.status == 409 and reply.headers["content-type"] == "application/problem+json"
    assert call("PATCH", f"/tags/{other['id']}", role="admin", body={"name": " VIP"}, headers={"If-Match": '"1"'}).status == 409
    assert table_items(aws) == before
    # A rename frees the old name.
    assert call("PATCH", f"/tags/{vip['id']}", role="admin", body={"name": "Gold"}, headers={"If-Match": '"1"'}).status == 200
    assert tag("VIP")["name"] == "VIP"


def test_a_tag_in_use_cannot_be_deleted(contact):
    vip = tag("VIP")
    jane = person(contact["id"], **JANE, tag_ids=[vip["id"]])
    assert call("GET", "/tags").json["items"][0]["person_count"] == 1
    assert call("DELETE", f"/tags/{vip['id']}", role="admin", headers={"If-Match": '"1"'}).status == 409
    call("PATCH", f"/persons/{jane['id']}", body={"tag_ids": []}, headers={"If-Match": '"1"'})
    assert call("DELETE", f"/tags/{vip['id']}", role="admin", headers={"If-Match": '"1"'}).status == 204
    assert call("GET", "/tags").json["items"] == []
    gone = call("GET", "/persons", query={"tag": vip["id"]})
    assert gone.status == 422 and gone.json["errors"][0]["field"] == "tag"


def test_an_unknown_tag_is_named_and_nothing_is_stored(aws, contact):
    before = table_items(aws)
    reply = call("POST", f"/contacts/{contact['id']}/persons", body={**JANE, "tag_ids": ["01JABCDEFGHJKMNPQRSTVWXYZ0"]})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "tag_ids"
    assert table_items(aws) == before
    assert found("jane") == []


def test_persons_by_tag_follow_renames_and_untagging(contact):
    vip, gold = tag("VIP"), tag("Gold")
    jane = person(contact["id"], **JANE, tag_ids=[vip["id"]])
    person(contact["id"], name="Bob", tag_ids=[vip["id"], gold["id"]])
    person(contact["id"], name="Carl")
    assert names("/persons", tag=vip["id"]) == ["Bob", "Jane Doe"]
    call("PATCH", f"/persons/{jane['id']}", body={"name": "Aaron", "tag_ids": [gold["id"]]}, headers={"If-Match": '"1"'})
    assert names("/persons", tag=vip["id"]) == ["Bob"]
    assert names("/persons", tag=gold["id"]) == ["Aaron", "Bob"]
    assert [t["person_count"] for t in call("GET", "/tags").json["items"]] == [2, 1]


# ---------------------------------------------------------------- consent and the marketing audience


def test_consent_changes_are_recorded_newest_first_with_who_and_how(contact):
    jane = person(contact["id"], **JANE, consent={"status": "awaiting", "medium": "email"})
    first = call(
        "POST",
        f"/persons/{jane['id']}/consent",
        body={"status": "given", "medium": "web", "note": "ticked the box"},
        email="planner@t1.example",
    )
    assert first.status == 201 and first.json["changed_by"] == "planner@t1.example" and first.json["status"] == "given"
    call("POST", f"/persons/{jane['id']}/consent", body={"status": "refused", "medium": "phone"}, headers={"If-Match": '"2"'})
    now = call("GET", f"/persons/{jane['id']}").json
    assert now["consent"]["status"] == "refused" and now["consent"]["medium"] == "phone" and now["version"] == 3

    page = call("GET", f"/persons/{jane['id']}/consent", query={"limit": 2}).json
    assert [(e["status"], e["medium"]) for e in page["items"]] == [("refused", "phone"), ("given", "web")]
    rest = call("GET", f"/persons/{jane['id']}/consent", query={"limit": 2, "cursor": page["next_cursor"]}).json
    assert [(e["status"], e["medium"]) for e in rest["items"]] == [("awaiting", "email")] and rest["next_cursor"] is None
    assert page["items"][1]["note"] == "ticked the box"


def test_bad_or_stale_consent_changes_store_nothing(aws, contact):
    jane = person(contact["id"], **JANE)
    before = table_items(aws)
    reply = call("POST", f"/persons/{jane['id']}/consent", body={"status": "maybe", "medium": "pigeon"})
    assert reply.status == 422 and {e["field"] for e in reply.json["errors"]} == {"status", "medium"}
    assert (
        call("POST", f"/persons/{jane['id']}/consent", body={"status": "given", "medium": "web"}, headers={"If-Match": '"9"'}).status == 412
    )
    assert (
        call("PATCH", f"/persons/{jane['id']}", body={"consent": {"status": "given", "medium": "web"}}, headers={"If-Match": '"1"'}).status
        == 422
    )
    assert table_items(aws) == before
    assert call("GET", f"/persons/{jane['id']}/consent").json["items"] == []


def test_the_marketing_audience_is_consent_given_and_opted_in(contact):
    news = tag("Newsletter")
    given = {"status": "given", "medium": "web"}
    person(contact["id"], name="Ann", email="ann@x.test", receives_marketing=True, consent=given, tag_ids=[news["id"]])
    person(contact["id"], name="Ben", email="ben@x.test", receives_marketing=False, consent=given, tag_ids=[news["id"]])
    cid = person(
        contact["id"],
        name="Cid",
        email="cid@x.test",
        receives_marketing=True,
        consent={"status": "refused", "medium": "paper"},
        tag_ids=[news["id"]],
    )
    person(contact["id"], name="Dot", email="dot@x.test", receives_marketing=True, tag_ids=[news["id"]])
    person(contact["id"], name="Eve", email="eve@x.test", receives_marketing=True, consent=given)

    assert names("/persons", tag=news["id"]) == ["Ann", "Ben", "Cid", "Dot"]
    assert names("/persons", tag=news["id"], audience="marketing") == ["Ann"]
    assert names("/persons", audience="marketing") == ["Ann", "Eve"]

    call("POST", f"/persons/{cid['id']}/consent", body=given)
    assert names("/persons", tag=news["id"], audience="marketing") == ["Ann", "Cid"]
    page = call("GET", "/persons", query={"tag": news["id"], "audience": "marketing", "limit": 1}).json
    assert [p["name"] for p in page["items"]] == ["Ann"]
    assert [
        p["name"]
        for p in call(
            "GET", "/persons", query={"tag": news["id"], "audience": "marketing", "limit": 1, "cursor": page["next_cursor"]}
        ).json["items"]
    ] == ["Cid"]
    assert call("GET", "/persons", query={"audience": "everyone"}).status == 422


# ---------------------------------------------------------------- GDPR export


def _export_object(aws, url: str) -> dict:
    key = unquote(urlparse(url).path.lstrip("/").removeprefix(aws["AttachmentsBucket"] + "/"))
    return json.loads(boto3.client("s3").get_object(Bucket=aws["AttachmentsBucket"], Key=key)["Body"].read())


def test_export_is_a_presigned_json_of_everything_held(aws, contact):
    vip = tag("VIP")
    jane = person(contact["id"], **JANE, tag_ids=[vip["id"]], consent={"status": "given", "medium": "paper", "note": "signed form"})
    assert call("POST", f"/persons/{jane['id']}/export", role="office", body={}).status == 403

    reply = call("POST", f"/persons/{jane['id']}/export", role="admin", body={})
    assert reply.status == 200 and reply.json["emailed_to"] is None
    url = reply.json["url"]
    assert f"t/t1/exports/persons/{jane['id']}/" in unquote(url) and "Signature" in url
    data = _export_object(aws, url)
    assert data["person"]["email"] == JANE["email"] and data["person"]["name"] == "Jane Doe"
    assert data["tags"] == [{"id": vip["id"], "name": "VIP"}] and data["contact"] == {"id": contact["id"], "name": "ABC SA"}
    assert [e["note"] for e in data["consent_history"]] == ["signed form"]
    assert "search_terms" not in data["person"]
    assert call("GET", f"/contacts/{contact['id']}/emails").json["items"] == [], "not emailed, not archived"


def test_an_emailed_export_is_sent_and_archived_on_the_contact(aws, contact):
    jane = person(contact["id"], **JANE)
    reply = call("POST", f"/persons/{jane['id']}/export", role="admin", body={"email_to": "Jane.Doe@acme.test"})
    assert reply.status == 200 and reply.json["emailed_to"] == "jane.doe@acme.test"
    message = sent()[-1]
    assert message["to"] == ["jane.doe@acme.test"] and reply.json["url"] in message["body"]
    assert "Jane" not in message["subject"]
    archived = call("GET", f"/contacts/{contact['id']}/emails").json["items"]
    assert [(e["kind"], e["to"], e["related_id"]) for e in archived] == [("gdpr_export", ["jane.doe@acme.test"], jane["id"])]
    assert call("POST", f"/persons/{jane['id']}/export", role="admin", body={"email_to": "nope"}).status == 422
    # The second export lists the first one's email among what is held.
    again = _export_object(aws, call("POST", f"/persons/{jane['id']}/export", role="admin", body={}).json["url"])
    assert [e["kind"] for e in again["records"]["email"]] == ["gdpr_export"]


# ---------------------------------------------------------------- GDPR erasure


def _fire_alert(aws, contact_id: str, note_id: str) -> None:
    invoke("AlertsFunction", {"tenant": "t1", "contact_id": contact_id, "note_id": note_id})


def test_erasure_anonymises_the_person_everywhere_and_keeps_the_record(aws, contact):
    vip = tag("VIP")
    jane = person(
        contact["id"],
        **JANE,
        landline="01632 960001",
        tag_ids=[vip["id"]],
        receives_marketing=True,
        consent={"status": "given", "medium": "web", "note": "Jane Doe said yes"},
    )
    bob = person(contact["id"], name="Bob Stone", email="bob@acme.test")
    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    note = call(
        "POST",
        f"/contacts/{contact['id']}/notes",
        body={"text": "Call back", "alert_at": at, "alert_to": ["jane.doe@acme.test", "bob@acme.test"]},
    ).json
    _fire_alert(aws, contact["id"], note["id"])
    export = call("POST", f"/persons/{jane['id']}/export", role="admin", body={"email_to": "jane.doe@acme.test"}).json
    assert call("POST", f"/persons/{jane['id']}/erase", role="office").status == 403

    reply = call("POST", f"/persons/{jane['id']}/erase", role="admin", email="dpo@t1.example")
    assert reply.status == 200, reply.body
    erased = reply.json
    assert erased["name"] == "Erased person" and erased["erased_by"] == "dpo@t1.example" and erased["erased_at"]
    assert all(erased[k] is None for k in ("email", "mobile", "landline", "job_title"))
    assert erased["tag_ids"] == [] and erased["consent"]["status"] == "given" and erased["version"] == jane["version"] + 1
    assert call("GET", f"/persons/{jane['id']}").json == erased

    # Nothing in the whole table holds her name, address or phone; the record and its history stay.
    everything = json.dumps(table_items(aws), default=str).casefold()
    for trace in ("jane", "doe", "jane.doe@acme.test", "7946", "960001", "facilities"):
        assert trace not in everything, trace
    assert [e["status"] for e in call("GET", f"/persons/{jane['id']}/consent").json["items"]] == ["given"]
    replacement = f"erased-{jane['id'].lower()}@erased.invalid"
    notes = call("GET", f"/contacts/{contact['id']}/notes").json["items"]
    assert notes[0]["alert_to"] == [replacement, "bob@acme.test"]
    emails = call("GET", f"/contacts/{contact['id']}/emails").json["items"]
    assert sorted(e["kind"] for e in emails) == ["gdpr_export", "note_alert"]
    assert all(replacement in e["to"] and "jane.doe@acme.test" not in e["to"] for e in emails)

    # Gone from search, tags and the audience; Bob untouched; the export file gone in every version.
    assert found("jane") == [] and found("2079") == [] and found("bob") == ["ABC SA"]
    assert names("/persons", tag=vip["id"]) == [] and names("/persons", audience="marketing") == []
    assert call("GET", f"/persons/{bob['id']}").json == bob
    listing = boto3.client("s3").list_object_versions(Bucket=aws["AttachmentsBucket"], Prefix=f"t/t1/exports/persons/{jane['id']}/")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    assert export["url"]


def test_an_erasure_cannot_be_undone_or_repeated(aws, contact):
    jane = person(contact["id"], **JANE)
    erased = call("POST", f"/persons/{jane['id']}/erase", role="admin").json
    before = table_items(aws)
    etag = {"If-Match": f'"{erased["version"]}"'}
    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 409
    assert call("PATCH", f"/persons/{jane['id']}", body={"name": "Jane Doe"}, headers=etag).status == 409
    assert call("POST", f"/persons/{jane['id']}/consent", body={"status": "given", "medium": "web"}).status == 409
    assert call("DELETE", f"/persons/{jane['id']}", headers=etag).status == 409
    assert table_items(aws) == before
    assert call("POST", "/persons/01JABCDEFGHJKMNPQRSTVWXYZ0/erase", role="admin").status == 404


def test_erasure_also_clears_her_from_the_contact_record(aws, contact):
    site = call(
        "POST",
        "/contacts",
        body={
            "name": "ABC Leeds",
            "group_id": contact["group_id"],
            "main_contact": {"name": "Jane D.", "email": "Jane.Doe@acme.test"},
            "on_site_contact": {"name": "Jane Doe", "phone": "+44 (0)20 7946 0000"},
        },
    ).json
    jane = person(site["id"], **JANE)
    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 200
    record = call("GET", f"/contacts/{site['id']}").json
    assert record["main_contact"] == {"name": "Erased person", "email": None}
    assert record["on_site_contact"] == {"name": "Erased person", "phone": None, "address": None}
    everything = json.dumps(table_items(aws), default=str).casefold()
    assert "jane" not in everything and "7946" not in everything
    assert found("jane") == []


# ---------------------------------------------------------------- the booking-site login


def _login(aws, contact_id: str, person: dict, tenant: str = "t1") -> None:
    """The person's booking-site login, as an invitation opens it."""
    from crm.people import logins

    logins.open_login(tenant, contact_id, person["id"], person["email"], "Temporary-Passw0rd!")


def _login_state(aws, email: str) -> bool | None:
    """Enabled (True/False), or None when the pool has no login at that address."""
    cognito = boto3.client("cognito-idp")
    try:
        return cognito.admin_get_user(UserPoolId=aws["CustomerUserPool"], Username=email)["Enabled"]
    except cognito.exceptions.UserNotFoundException:
        return None


def test_erasure_deletes_the_booking_site_login(aws, contact):
    jane = person(contact["id"], **JANE, booking_site_access=True)
    _login(aws, contact["id"], jane)
    assert _login_state(aws, JANE["email"]) is True
    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 200
    assert _login_state(aws, JANE["email"]) is None


def test_deleting_the_person_deletes_the_login(aws, contact):
    jane = person(contact["id"], **JANE, booking_site_access=True)
    _login(aws, contact["id"], jane)
    assert call("DELETE", f"/persons/{jane['id']}", headers={"If-Match": '"1"'}).status == 204
    assert _login_state(aws, JANE["email"]) is None


def test_withdrawn_access_disables_the_login_and_an_invitation_enables_it_again(aws, contact):
    jane = person(contact["id"], **JANE, booking_site_access=True)
    _login(aws, contact["id"], jane)
    assert call("PATCH", f"/persons/{jane['id']}", body={"job_title": "Boss"}, headers={"If-Match": '"1"'}).status == 200
    assert _login_state(aws, JANE["email"]) is True  # other changes leave it alone
    assert call("PATCH", f"/persons/{jane['id']}", body={"booking_site_access": False}, headers={"If-Match": '"2"'}).status == 200
    assert _login_state(aws, JANE["email"]) is False
    _login(aws, contact["id"], jane)
    assert _login_state(aws, JANE["email"]) is True


def test_a_new_address_leaves_no_login_at_the_old_one(aws, contact):
    jane = person(contact["id"], **JANE, booking_site_access=True)
    _login(aws, contact["id"], jane)
    reply = call("PATCH", f"/persons/{jane['id']}", body={"email": "jane@new.test"}, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    assert _login_state(aws, JANE["email"]) is None and _login_state(aws, "jane@new.test") is None


def test_only_the_persons_own_login_is_revoked(aws, contact):
    """The same address may sign in as a person of another account: that login stays."""
    jane = person(contact["id"], **JANE, booking_site_access=True)
    _login(aws, contact["id"], jane, tenant="t2")  # the login is t2's, at Jane's address
    assert call("POST", f"/persons/{jane['id']}/erase", role="admin").status == 200
    assert _login_state(aws, JANE["email"]) is True
