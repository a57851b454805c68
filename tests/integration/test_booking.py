"""The booking site through its handlers: configuration, slugs unique across accounts, the public
landing data, invitations, and what a signed-in customer may see and ask for."""

from __future__ import annotations

from datetime import date, timedelta

import boto3
import pytest
from babel.dates import format_date

from tests.support.lambdas import call
from tests.support.mail import sent

ADMIN = "admin"
PREFERRED = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def pool(aws) -> dict[str, str]:
    """The customer pool the `aws` fixture made (CUSTOMER_USER_POOL_ID)."""
    return {"id": aws["CustomerUserPool"], "client_id": aws["CustomerUserPool.client_id"]}


def _contact(tenant: str, name: str, group_id: str, parent_id: str | None = None) -> dict:
    body = {"name": name, "group_id": group_id, **({"parent_id": parent_id} if parent_id else {})}
    reply = call("POST", "/contacts", tenant=tenant, body=body)
    assert reply.status == 201, reply.body
    return reply.json


def _job_type(tenant: str, name: str) -> dict:
    reply = call("POST", "/job-types", tenant=tenant, role=ADMIN, body={"name": name})
    assert reply.status == 201, reply.body
    return reply.json


def _person(tenant: str, contact_id: str, name: str, email: str | None, access: bool = True) -> dict:
    body = {"name": name, **({"email": email, "booking_site_access": access} if email else {})}
    reply = call("POST", f"/contacts/{contact_id}/persons", tenant=tenant, body=body)
    assert reply.status == 201, reply.body
    return reply.json


def _site(tenant: str, contact_id: str, slug: str, job_type_ids: list[str], version: int = 0, **extra) -> object:
    body = {"slug": slug, "job_type_ids": job_type_ids, "notify_email": "office@acme.example", **extra}
    return call("PUT", f"/contacts/{contact_id}/booking-site", tenant=tenant, body=body, headers={"If-Match": f'"{version}"'})


@pytest.fixture
def world(aws, pool):
    """Account t1: customer ABC with a child site, another customer XYZ, two job types (one
    offered), a booking site for ABC and one for XYZ, a person at ABC with access."""
    group = call("POST", "/contact-groups", role=ADMIN, body={"name": "Customers"}).json
    abc = _contact("t1", "ABC Plumbing", group["id"])
    paris = _contact("t1", "ABC Paris", group["id"], parent_id=abc["id"])
    xyz = _contact("t1", "XYZ Corp", group["id"])
    repair, survey = _job_type("t1", "Repair"), _job_type("t1", "Survey")
    assert _site("t1", abc["id"], "abc-plumbing", [repair["id"]], logo_url="https://cdn.example/abc.png").status == 201
    assert _site("t1", xyz["id"], "xyz-corp", [repair["id"], survey["id"]]).status == 201
    jane = _person("t1", abc["id"], "Jane Doe", "jane@abc.example")
    return {"group": group, "abc": abc, "paris": paris, "xyz": xyz, "repair": repair, "survey": survey, "jane": jane}


def customer(world, **kwargs) -> dict:
    """call() keyword arguments for Jane's customer token."""
    return {"tenant": "t1", "email": "jane@abc.example", "contact_id": world["abc"]["id"], "person_id": world["jane"]["id"], **kwargs}


def book(world, slug: str = "abc-plumbing", headers: dict | None = None, **body) -> object:
    request = {
        "job_type_id": world["repair"]["id"],
        "site_id": world["paris"]["id"],
        "preferred_date": PREFERRED,
        "description": "Leaking tap in the kitchen",
        **body,
    }
    return call("POST", f"/booking/sites/{slug}/requests", body=request, headers=headers, **customer(world))


# ---------------------------------------------------------------- configuration


def test_a_site_is_configured_with_if_match_and_default_columns(world):
    reply = call("GET", f"/contacts/{world['abc']['id']}/booking-site")
    assert reply.status == 200
    assert reply.headers["etag"] == '"1"'
    assert reply.json["slug"] == "abc-plumbing"
    assert reply.json["columns"] == ["reference", "type", "site", "status", "planned_start"]
    assert reply.json["url"].endswith("/booking/abc-plumbing")

    body = {
        "slug": "abc",
        "job_type_ids": [world["repair"]["id"]],
        "notify_email": "office@acme.example",
        "columns": ["reference", "status"],
    }
    assert call("PUT", f"/contacts/{world['abc']['id']}/booking-site", body=body).status == 428
    assert call("PUT", f"/contacts/{world['abc']['id']}/booking-site", body=body, headers={"If-Match": '"7"'}).status == 412
    reply = call("PUT", f"/contacts/{world['abc']['id']}/booking-site", body=body, headers={"If-Match": '"1"'})
    assert reply.status == 200 and reply.json["version"] == 2 and reply.json["columns"] == ["reference", "status"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"slug": "Has Spaces"}, "slug"),
        ({"slug": "-dash"}, "slug"),
        ({"columns": ["reference", "price"]}, "columns.1"),
        ({"columns": []}, "columns"),
        ({"columns": ["status", "status"]}, "columns"),
        ({"logo_url": "http://insecure.example/logo.png"}, "logo_url"),
        ({"job_type_ids": []}, "job_type_ids"),
        ({"notify_email": "nope"}, "notify_email"),
    ],
)
def test_bad_configuration_is_422_naming_the_field(world, change, field):
    body = {"slug": "fine-slug", "job_type_ids": [world["repair"]["id"]], "notify_email": "o@acme.example", **change}
    reply = call("PUT", f"/contacts/{world['paris']['id']}/booking-site", body=body, headers={"If-Match": '"0"'})
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.json["errors"]}
    assert call("GET", f"/contacts/{world['paris']['id']}/booking-site").status == 404


def test_a_job_type_of_another_account_cannot_be_offered(world):
    other = _job_type("t2", "Elsewhere")
    reply = _site("t1", world["paris"]["id"], "paris-site", [world["repair"]["id"], other["id"]])
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["job_type_ids.1"]


def test_slugs_are_unique_across_accounts_and_freed_when_changed(world):
    group = call("POST", "/contact-groups", tenant="t2", role=ADMIN, body={"name": "Customers"}).json
    theirs = _contact("t2", "Other Co", group["id"])
    their_type = _job_type("t2", "Repair")
    reply = _site("t2", theirs["id"], "abc-plumbing", [their_type["id"]])
    assert reply.status == 409
    assert "taken" in reply.json["detail"]
    # t1 moves to a new address: the old one is free for anyone, the new one is t1's.
    assert _site("t1", world["abc"]["id"], "abc-new", [world["repair"]["id"]], version=1).status == 200
    assert call("GET", "/booking/sites/abc-plumbing", anonymous=True).status == 404
    assert _site("t2", theirs["id"], "abc-plumbing", [their_type["id"]]).status == 201
    assert call("GET", "/booking/sites/abc-plumbing", anonymous=True).json["company_name"] == "Other Co"
    assert call("GET", "/booking/sites/abc-new", anonymous=True).json["company_name"] == "ABC Plumbing"


def test_forgetting_a_contact_deletes_its_site_and_frees_its_slug(world):
    from crm.booking import service

    service.forget_contact("t1", world["abc"]["id"])
    assert call("GET", f"/contacts/{world['abc']['id']}/booking-site").status == 404
    assert call("GET", "/booking/sites/abc-plumbing", anonymous=True).status == 404
    service.forget_contact("t1", world["abc"]["id"])  # again: nothing left, nothing raised
    service.forget_contact("t1", world["paris"]["id"])  # a contact that never had a site
    # the slug is free again, for any contact of any account; XYZ's site is untouched
    assert _site("t1", world["paris"]["id"], "abc-plumbing", [world["repair"]["id"]]).status == 201
    assert call("GET", "/booking/sites/xyz-corp", anonymous=True).status == 200
    # another account forgetting the same contact id touches nothing of t1's
    service.forget_contact("t2", world["paris"]["id"])
    assert call("GET", f"/contacts/{world['paris']['id']}/booking-site").json["slug"] == "abc-plumbing"


def test_forgetting_a_contact_deletes_only_the_site_as_read(world):
    from crm.booking import repository, service
    from crm.platform.errors import PreconditionFailed

    read = repository.get_site("t1", world["abc"]["id"])
    assert _site("t1", world["abc"]["id"], "abc-renamed", [world["repair"]["id"]], version=1).status == 200
    with pytest.raises(PreconditionFailed):
        repository.delete_site("t1", read)  # saved meanwhile: nothing deleted
    assert call("GET", "/booking/sites/abc-renamed", anonymous=True).status == 200
    service.forget_contact("t1", world["abc"]["id"])
    assert call("GET", "/booking/sites/abc-renamed", anonymous=True).status == 404
    assert repository.site_by_slug("abc-renamed") is None and repository.site_by_slug("abc-plumbing") is None


def test_another_accounts_contact_has_no_site_to_read_or_write(world):
    assert call("GET", f"/contacts/{world['abc']['id']}/booking-site", tenant="t2").status == 404
    assert _site("t2", world["abc"]["id"], "stolen", [world["repair"]["id"]]).status == 404
    assert call("GET", "/booking/sites/stolen", anonymous=True).status == 404


# ---------------------------------------------------------------- public landing data


def test_the_public_landing_data_is_the_name_and_logo_only(world):
    reply = call("GET", "/booking/sites/abc-plumbing", anonymous=True)
    assert reply.status == 200
    assert reply.json == {"company_name": "ABC Plumbing", "logo_url": "https://cdn.example/abc.png"}
    assert call("GET", "/booking/sites/no-such-site", anonymous=True).status == 404


# ---------------------------------------------------------------- invitations


def test_an_invitation_creates_the_customer_login_and_emails_the_site_and_password(world, pool):
    before = len(sent())
    reply = call("POST", f"/contacts/{world['abc']['id']}/booking-site/invitations", body={"person_id": world["jane"]["id"]})
    assert reply.status == 201, reply.body
    assert reply.json["email"] == "jane@abc.example" and reply.json["resent"] is False
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pool["id"], Username="jane@abc.example")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:tenant"] == "t1"
    assert attributes["custom:contact_id"] == world["abc"]["id"]
    assert attributes["custom:person_id"] == world["jane"]["id"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    message = sent()[before]
    assert message["to"] == ["jane@abc.example"]
    assert reply.json["url"] in message["body"] and "temporary password" in message["body"]

    again = call("POST", f"/contacts/{world['abc']['id']}/booking-site/invitations", body={"person_id": world["jane"]["id"]})
    assert again.status == 201 and again.json["resent"] is True
    assert len(sent()) == before + 2
    # Both are filed on ABC's archive (the password is not: the archive keeps who, what and when).
    archived = call("GET", f"/contacts/{world['abc']['id']}/emails").json["items"]
    assert [(e["kind"], e["to"], e["related_id"]) for e in archived] == [
        ("booking_invitation", ["jane@abc.example"], world["jane"]["id"])
    ] * 2
    assert message["subject"] == archived[0]["subject"] and "password" not in str(archived)


def test_only_a_person_of_the_contact_with_access_and_an_email_is_invited(world):
    path = f"/contacts/{world['abc']['id']}/booking-site/invitations"
    no_access = _person("t1", world["abc"]["id"], "No Access", "na@abc.example", access=False)
    no_email = _person("t1", world["abc"]["id"], "No Email", None)
    elsewhere = _person("t1", world["xyz"]["id"], "Elsewhere", "e@xyz.example")
    before = len(sent())
    for person, message in (
        (no_access, "no booking-site access"),
        (no_email, "no booking-site access"),
        (elsewhere, "not a person of this contact"),
    ):
        reply = call("POST", path, body={"person_id": person["id"]})
        assert reply.status == 422, reply.body
        assert message in reply.json["errors"][0]["message"]
    # a contact without a booking site
    assert call("POST", f"/contacts/{world['paris']['id']}/booking-site/invitations", body={"person_id": world["jane"]["id"]}).status == 409
    # another account's person id is just not a person here
    assert call("POST", path, tenant="t2", body={"person_id": world["jane"]["id"]}).status == 404
    assert len(sent()) == before


# ---------------------------------------------------------------- the customer


def _office_job(contact_id: str, job_type_id: str) -> dict:
    reply = call("POST", "/jobs", body={"contact_id": contact_id, "job_type_id": job_type_id, "description": "office job"})
    assert reply.status == 201, reply.body
    return reply.json


def test_the_customer_sees_the_jobs_of_their_contact_and_its_sites_in_the_columns(world):
    own = _office_job(world["abc"]["id"], world["repair"]["id"])
    site = _office_job(world["paris"]["id"], world["survey"]["id"])
    other = _office_job(world["xyz"]["id"], world["repair"]["id"])
    reply = call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world))
    assert reply.status == 200, reply.body
    assert reply.json["columns"] == ["reference", "type", "site", "status", "planned_start"]
    rows = {r["id"]: r for r in reply.json["items"]}
    assert set(rows) == {own["id"], site["id"]}
    assert other["id"] not in rows
    assert rows[site["id"]] == {
        "id": site["id"],
        "reference": site["reference"],
        "type": "Survey",
        "site": "ABC Paris",
        "status": "to_schedule",
        "planned_start": None,
    }


def test_the_options_are_the_offered_types_and_the_customers_sites(world):
    reply = call("GET", "/booking/sites/abc-plumbing/options", **customer(world))
    assert reply.status == 200
    assert reply.json == {
        "job_types": [{"id": world["repair"]["id"], "name": "Repair"}],
        "sites": [{"id": world["abc"]["id"], "name": "ABC Plumbing"}, {"id": world["paris"]["id"], "name": "ABC Paris"}],
    }


def test_every_child_site_is_offered_and_bookable_and_a_job_list_too_wide_says_so(world):
    for n in range(1, 101):  # ABC Paris and 100 more: 102 sites with ABC itself
        _contact("t1", f"Site {n:03d}", world["group"]["id"], parent_id=world["abc"]["id"])
    sites = call("GET", "/booking/sites/abc-plumbing/options", **customer(world)).json["sites"]
    assert len(sites) == 102 and sites[0]["id"] == world["abc"]["id"] and sites[-1]["name"] == "Site 100"
    assert book(world, site_id=sites[-1]["id"]).status == 201
    jobs = call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world))
    assert jobs.status == 409 and "102 sites" in jobs.json["detail"]


def test_a_booking_lands_to_schedule_and_the_office_is_emailed(world):
    before = len(sent())
    reply = book(world)
    assert reply.status == 201, reply.body
    assert reply.json["status"] == "to_schedule"
    assert reply.json["row"]["site"] == "ABC Paris" and reply.json["row"]["type"] == "Repair"
    job = call("GET", f"/jobs/{reply.json['id']}").json
    assert job["status"] == "to_schedule" and job["contact_id"] == world["paris"]["id"]
    assert job["description"] == "Leaking tap in the kitchen"
    listed = call("GET", "/jobs", query={"status": "to_schedule"}).json["items"]
    assert reply.json["id"] in [j["id"] for j in listed]
    message = sent()[before]
    assert message["to"] == ["office@acme.example"]
    assert reply.json["reference"] in message["subject"]
    preferred = format_date(date.fromisoformat(PREFERRED), "long", locale="en_GB")  # the office reads the account's English
    assert f"Preferred date: {preferred}" in message["body"] and "jane@abc.example" in message["body"]
    assert reply.json["office_notified"] is True
    # Filed on the site the job is for, about the job.
    (archived,) = call("GET", f"/contacts/{world['paris']['id']}/emails").json["items"]
    assert (archived["kind"], archived["to"], archived["related_id"]) == ("booking_request", ["office@acme.example"], job["id"])
    assert archived["subject"] == message["subject"]
    # The job names who booked it by person id only: erasing Jane leaves nothing of her in it.
    assert job["created_by"] == f"person:{world['jane']['id']}"
    history = call("GET", f"/jobs/{job['id']}/history").json["items"]
    assert [(h["by"], h["role"]) for h in history] == [(f"person:{world['jane']['id']}", "customer")]
    assert "jane" not in str(job).casefold() and "jane" not in str(history).casefold()


def test_a_booking_stands_when_the_office_email_fails_and_its_retry_files_no_second_job(world, aws):
    boto3.client("ses").delete_identity(Identity=aws["MailFrom"])  # SES now refuses to send
    before = len(sent())
    first = book(world, headers={"Idempotency-Key": "booking-1"})
    assert first.status == 201, first.body
    assert first.json["office_notified"] is False and first.json["status"] == "to_schedule"
    again = book(world, headers={"Idempotency-Key": "booking-1"})
    assert again.status == 201 and again.json["id"] == first.json["id"]
    assert [j["id"] for j in call("GET", "/jobs", query={"status": "to_schedule"}).json["items"]] == [first.json["id"]]
    assert len(sent()) == before
    assert call("GET", f"/contacts/{world['paris']['id']}/emails").json["items"] == []  # not sent, not filed


def test_another_contacts_or_accounts_site_is_404_and_says_nothing(world):
    # XYZ's site, in the customer's own account
    for path in ("/booking/sites/xyz-corp/jobs", "/booking/sites/xyz-corp/options", "/booking/sites/no-such/jobs"):
        reply = call("GET", path, **customer(world))
        assert reply.status == 404 and reply.json["detail"] == "no such booking site"
    assert book(world, slug="xyz-corp").status == 404
    # the same contact id claimed from another account
    assert call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world, tenant="t2")).status == 404


def test_a_job_type_not_offered_or_a_site_not_theirs_is_422_and_books_nothing(world):
    before = len(sent())
    reply = book(world, job_type_id=world["survey"]["id"])
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["job_type_id"]
    # another contact's site and an id that exists nowhere read the same
    foreign, missing = book(world, site_id=world["xyz"]["id"]), book(world, site_id="01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert foreign.status == missing.status == 422
    assert foreign.json["errors"] == missing.json["errors"] == [{"field": "site_id", "message": "is not one of your sites"}]
    assert book(world, preferred_date="2001-01-01").json["errors"][0]["field"] == "preferred_date"
    assert call("GET", "/jobs", query={"status": "to_schedule"}).json["items"] == []
    assert len(sent()) == before


def test_booking_requests_are_rate_limited_per_person(world):
    for _ in range(5):
        assert book(world).status == 201
    reply = book(world)
    assert reply.status == 429
    assert 0 < int(reply.headers["retry-after"]) <= 3600
    assert len(call("GET", "/jobs", query={"status": "to_schedule"}).json["items"]) == 5
    # another person of the same contact has their own allowance
    john = _person("t1", world["abc"]["id"], "John Doe", "john@abc.example")
    request = {"job_type_id": world["repair"]["id"], "site_id": world["abc"]["id"], "preferred_date": PREFERRED, "description": "Boiler"}
    assert (
        call(
            "POST", "/booking/sites/abc-plumbing/requests", body=request, **customer(world, email="john@abc.example", person_id=john["id"])
        ).status
        == 201
    )


def test_withdrawn_access_shuts_the_customer_out(world):
    jane = world["jane"]
    assert (
        call("PATCH", f"/persons/{jane['id']}", body={"booking_site_access": False}, headers={"If-Match": f'"{jane["version"]}"'}).status
        == 200
    )
    assert call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world)).status == 403
    assert book(world).status == 403


def test_a_token_at_the_persons_old_address_opens_nothing(world):
    jane = world["jane"]
    assert (
        call("PATCH", f"/persons/{jane['id']}", body={"email": "jane@new.example"}, headers={"If-Match": f'"{jane["version"]}"'}).status
        == 200
    )
    assert call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world)).status == 403
    assert call("GET", "/booking/sites/abc-plumbing/jobs", **customer(world, email="jane@new.example")).status == 200


def test_staff_cannot_use_the_customer_routes_nor_customers_the_staff_ones(world):
    assert call("GET", "/booking/sites/abc-plumbing/jobs", role=ADMIN).status == 403
    assert call("GET", f"/contacts/{world['abc']['id']}/booking-site", **customer(world)).status == 403
    assert call("GET", "/contacts", **customer(world)).status == 403
