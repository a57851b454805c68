"""Every route of template.yaml, every role, two tenants: who may call what, and what another
tenant sees. A route added to the template without a rule here (and in its function) fails."""
from __future__ import annotations

import re

import pytest

from datetime import date, timedelta

from crm.platform.auth import ADMIN, CUSTOMER, OFFICE, PUBLIC, RESOURCE, ROLES
from infra import template
from tests.support.lambdas import call, module

STAFF = {ADMIN, OFFICE}
STAFF_AND_RESOURCES = {ADMIN, OFFICE, RESOURCE}
ADMINS = {ADMIN}
CUSTOMERS = {CUSTOMER}
ANYONE = set(PUBLIC)  # no token at all (the template event says Auth: Authorizer: NONE)

# (method, path) -> the roles that may call it. The one list of the access rules a reviewer reads.
EXPECTED_ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/contacts"): STAFF_AND_RESOURCES,
    ("POST", "/contacts"): STAFF,
    ("GET", "/contacts/{contact_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/contacts/{contact_id}"): STAFF,
    ("DELETE", "/contacts/{contact_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/children"): STAFF_AND_RESOURCES,
    ("GET", "/contacts/{contact_id}/zone"): STAFF_AND_RESOURCES,
    ("POST", "/contacts/{contact_id}/availability"): STAFF,
    ("GET", "/contacts/{contact_id}/notes"): STAFF,
    ("POST", "/contacts/{contact_id}/notes"): STAFF,
    ("GET", "/contacts/{contact_id}/attachments"): STAFF,
    ("POST", "/contacts/{contact_id}/attachments"): STAFF,
    ("DELETE", "/contacts/{contact_id}/attachments/{attachment_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/emails"): STAFF,
    ("GET", "/contacts/{contact_id}/folder"): STAFF,
    ("GET", "/contact-groups"): STAFF_AND_RESOURCES,
    ("POST", "/contact-groups"): ADMINS,
    ("PATCH", "/contact-groups/{group_id}"): ADMINS,
    ("DELETE", "/contact-groups/{group_id}"): ADMINS,
    ("GET", "/settings"): STAFF,
    ("PATCH", "/settings"): ADMINS,
    ("GET", "/contact-groups/{group_id}/fields"): STAFF_AND_RESOURCES,
    ("POST", "/contact-groups/{group_id}/fields"): ADMINS,
    ("PATCH", "/contact-groups/{group_id}/fields/{field_id}"): ADMINS,
    ("DELETE", "/contact-groups/{group_id}/fields/{field_id}"): ADMINS,
    ("PUT", "/contact-groups/{group_id}/fields/order"): ADMINS,
    ("POST", "/contact-groups/{group_id}/fields/copy"): ADMINS,
    ("GET", "/contacts/{contact_id}/fields"): STAFF_AND_RESOURCES,
    ("PATCH", "/contacts/{contact_id}/fields"): STAFF_AND_RESOURCES,
    ("GET", "/contacts/{contact_id}/persons"): STAFF,
    ("POST", "/contacts/{contact_id}/persons"): STAFF,
    ("GET", "/persons"): STAFF,
    ("GET", "/persons/{person_id}"): STAFF,
    ("PATCH", "/persons/{person_id}"): STAFF,
    ("DELETE", "/persons/{person_id}"): STAFF,
    ("GET", "/persons/{person_id}/consent"): STAFF,
    ("POST", "/persons/{person_id}/consent"): STAFF,
    ("POST", "/persons/{person_id}/export"): ADMINS,
    ("POST", "/persons/{person_id}/erase"): ADMINS,
    ("GET", "/tags"): STAFF,
    ("POST", "/tags"): ADMINS,
    ("PATCH", "/tags/{tag_id}"): ADMINS,
    ("DELETE", "/tags/{tag_id}"): ADMINS,
    ("GET", "/job-types"): STAFF_AND_RESOURCES,
    ("POST", "/job-types"): ADMINS,
    ("PATCH", "/job-types/{job_type_id}"): ADMINS,
    ("GET", "/resources"): STAFF,
    ("POST", "/resources"): ADMINS,
    ("PATCH", "/resources/{resource_id}"): ADMINS,
    ("GET", "/vehicles"): STAFF,
    ("POST", "/vehicles"): ADMINS,
    ("PATCH", "/vehicles/{vehicle_id}"): ADMINS,
    ("GET", "/contacts/{contact_id}/slas"): STAFF,
    ("POST", "/contacts/{contact_id}/slas"): STAFF,
    ("DELETE", "/contacts/{contact_id}/slas/{sla_id}"): STAFF,
    ("GET", "/contacts/{contact_id}/jobs"): STAFF,
    ("GET", "/jobs"): STAFF_AND_RESOURCES,
    ("POST", "/jobs"): STAFF,
    ("GET", "/jobs/{job_id}"): STAFF_AND_RESOURCES,
    ("PATCH", "/jobs/{job_id}"): STAFF,
    ("POST", "/jobs/{job_id}/status"): STAFF_AND_RESOURCES,
    ("GET", "/jobs/{job_id}/history"): STAFF_AND_RESOURCES,
    ("PATCH", "/jobs/{job_id}/fields"): STAFF_AND_RESOURCES,
    ("GET", "/reports/sla-breaches"): STAFF,
}

EXPECTED_ROLES |= {
    ("GET", "/contacts/{contact_id}/booking-site"): STAFF,
    ("PUT", "/contacts/{contact_id}/booking-site"): STAFF,
    ("POST", "/contacts/{contact_id}/booking-site/invitations"): STAFF,
    ("GET", "/booking/sites/{slug}"): ANYONE,
    ("GET", "/booking/sites/{slug}/jobs"): CUSTOMERS,
    ("GET", "/booking/sites/{slug}/options"): CUSTOMERS,
    ("POST", "/booking/sites/{slug}/requests"): CUSTOMERS,
}

# A body and query that pass validation, so the checks below reach authorisation and lookup.
VALID_INPUT: dict[tuple[str, str], dict] = {
    ("POST", "/contacts"): {"body": {"name": "Probe", "group_id": "{group_id}"}},
    ("PATCH", "/contacts/{contact_id}"): {"body": {"site_notes": "probe"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contacts/{contact_id}"): {"headers": {"If-Match": '"1"'}},
    ("GET", "/contacts/{contact_id}/zone"): {"query": {"lat": 48.85, "lon": 2.35}},
    ("POST", "/contacts/{contact_id}/availability"): {"body": {"start": "2030-01-07T09:00:00Z", "end": "2030-01-07T10:00:00Z"}},
    ("POST", "/contacts/{contact_id}/notes"): {"body": {"text": "probe"}},
    ("POST", "/contacts/{contact_id}/attachments"): {"body": {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}},
    ("POST", "/contact-groups"): {"body": {"name": "Probe group"}},
    ("PATCH", "/contact-groups/{group_id}"): {"body": {"name": "Renamed"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contact-groups/{group_id}"): {"headers": {"If-Match": '"1"'}},
    ("PATCH", "/settings"): {"body": {"default_zone_radius_m": 30}, "headers": {"If-Match": '"0"'}},
    ("POST", "/contact-groups/{group_id}/fields"): {"body": {"label": "Probe field", "type": "text"}},
    ("PATCH", "/contact-groups/{group_id}/fields/{field_id}"): {"body": {"label": "Renamed field"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/contact-groups/{group_id}/fields/{field_id}"): {"headers": {"If-Match": '"1"'}},
    ("PUT", "/contact-groups/{group_id}/fields/order"): {"body": {"field_ids": []}, "headers": {"If-Match": '"1"'}},
    ("POST", "/contact-groups/{group_id}/fields/copy"): {"body": {"from_group_id": "{group_id}", "replace": True}},
    ("PATCH", "/contacts/{contact_id}/fields"): {"body": {"values": {}}, "headers": {"If-Match": '"0"'}},
    ("POST", "/contacts/{contact_id}/persons"): {"body": {"name": "Probe Person"}},
    ("PATCH", "/persons/{person_id}"): {"body": {"job_title": "Probe"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/persons/{person_id}"): {"headers": {"If-Match": '"1"'}},
    ("POST", "/persons/{person_id}/consent"): {"body": {"status": "given", "medium": "email"}},
    ("POST", "/persons/{person_id}/export"): {"body": {}},
    ("POST", "/tags"): {"body": {"name": "Probe tag", "colour": "#112233"}},
    ("PATCH", "/tags/{tag_id}"): {"body": {"name": "Renamed tag"}, "headers": {"If-Match": '"1"'}},
    ("DELETE", "/tags/{tag_id}"): {"headers": {"If-Match": '"1"'}},
    ("POST", "/job-types"): {"body": {"name": "Probe type"}},
    ("PATCH", "/job-types/{job_type_id}"): {"body": {"name": "Renamed type"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/resources"): {"body": {"user_id": "probe-user", "name": "Probe Resource"}},
    ("PATCH", "/resources/{resource_id}"): {"body": {"name": "Renamed"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/vehicles"): {"body": {"name": "Probe van"}},
    ("PATCH", "/vehicles/{vehicle_id}"): {"body": {"name": "Renamed van"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/contacts/{contact_id}/slas"): {"body": {"name": "4h", "constraints": [{"kind": "time", "rule": "complete_before", "minutes": 240}]}},
    ("DELETE", "/contacts/{contact_id}/slas/{sla_id}"): {"headers": {"If-Match": '"1"'}},
    ("POST", "/jobs"): {"body": {"contact_id": "{contact_id}", "job_type_id": "{job_type_id}"}},
    ("PATCH", "/jobs/{job_id}"): {"body": {"description": "probe"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/jobs/{job_id}/status"): {"body": {"status": "in_progress"}, "headers": {"If-Match": '"1"'}},
    ("PATCH", "/jobs/{job_id}/fields"): {"body": {"values": {}}, "headers": {"If-Match": '"0"'}},
}

VALID_INPUT |= {
    ("PUT", "/contacts/{contact_id}/booking-site"): {"body": {"slug": "probe-site", "job_type_ids": ["{job_type_id}"], "notify_email": "office@t1.example"}, "headers": {"If-Match": '"1"'}},
    ("POST", "/contacts/{contact_id}/booking-site/invitations"): {"body": {"person_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}},  # no such person: 422
    ("POST", "/booking/sites/{slug}/requests"): {"body": {"job_type_id": "{job_type_id}", "site_id": "{contact_id}", "preferred_date": (date.today() + timedelta(days=7)).isoformat(), "description": "probe"}},
}

ROUTES = sorted({(r.method, r.path) for r in template.routes()})


def _as(role: str, ids: dict[str, str]) -> dict:
    """call() keywords for a role: a customer's token carries their contact and person."""
    return {"role": role, "email": ids["booker_email"], "contact_id": ids["contact_id"], "person_id": ids["booker_id"]} if role == CUSTOMER else {"role": role}


def _fill(text: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], text)


def _request(route: tuple[str, str], ids: dict[str, str]) -> dict:
    spec = VALID_INPUT.get(route, {})
    out = {k: v for k, v in spec.items() if k != "body"}
    if "body" in spec:
        out["body"] = {k: _fill(v, ids) if isinstance(v, str) else [_fill(x, ids) for x in v] if isinstance(v, list) and all(isinstance(x, str) for x in v) else v for k, v in spec["body"].items()}
    return out


@pytest.fixture
def world(aws):
    """Tenant t1 with a group, a contact, an attachment, a custom field; ids used to probe every route."""
    group = call("POST", "/contact-groups", role=ADMIN, body={"name": "Customers"}).json
    contact = call("POST", "/contacts", body={"name": "ABC", "group_id": group["id"], "location": {"lat": 48.85, "lon": 2.35}}).json
    ticket = call("POST", f"/contacts/{contact['id']}/attachments", body={"filename": "a.pdf", "content_type": "application/pdf", "size": 3}).json
    import boto3

    boto3.client("s3").put_object(Bucket=aws["AttachmentsBucket"], Key=ticket["upload"]["fields"]["key"], Body=b"pdf")
    field = call("POST", f"/contact-groups/{group['id']}/fields", role=ADMIN, body={"label": "Gate code", "type": "text"}).json
    tag = call("POST", "/tags", role=ADMIN, body={"name": "Probe", "colour": "#336699"}).json
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Probe", "tag_ids": [tag["id"]]}).json
    jobs = _jobs_world(contact["id"])
    booking = _booking_world(contact["id"], jobs["job_type_id"])
    return {**jobs, **booking, "person_id": person["id"], "tag_id": tag["id"], "contact_id": contact["id"], "group_id": group["id"], "attachment_id": ticket["id"], "field_id": field["id"]}


def _jobs_world(contact_id: str) -> dict[str, str]:
    """A job type, a resource (the matrix's resource user), a vehicle, an SLA, and a job assigned to
    that resource, so the resource role reaches its own job."""
    from tests.support.lambdas import claims

    job_type = call("POST", "/job-types", role=ADMIN, body={"name": "Service"}).json
    resource = call("POST", "/resources", role=ADMIN, body={"user_id": claims("t1", RESOURCE)["sub"], "name": "Tech"}).json
    vehicle = call("POST", "/vehicles", role=ADMIN, body={"name": "Van 1"}).json
    sla = call("POST", f"/contacts/{contact_id}/slas", body={"name": "Same day", "constraints": [{"kind": "time", "rule": "complete_before", "minutes": 480}]}).json
    plan = {"planned_start": "2030-01-07T09:00:00Z", "planned_end": "2030-01-07T10:00:00Z", "resource_id": resource["id"], "vehicle_id": vehicle["id"]}
    job = call("POST", "/jobs", body={"contact_id": contact_id, "job_type_id": job_type["id"], **plan}).json
    return {"job_type_id": job_type["id"], "resource_id": resource["id"], "vehicle_id": vehicle["id"], "sla_id": sla["id"], "job_id": job["id"]}


def _booking_world(contact_id: str, job_type_id: str) -> dict[str, str]:
    """The contact's booking site, and a person with booking-site access (the matrix's customer)."""
    site = {"slug": "probe-site", "job_type_ids": [job_type_id], "notify_email": "office@t1.example"}
    assert call("PUT", f"/contacts/{contact_id}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
    booker = call("POST", f"/contacts/{contact_id}/persons", body={"name": "Bo Oker", "email": "bo@abc.example", "booking_site_access": True}).json
    return {"slug": "probe-site", "booker_id": booker["id"], "booker_email": booker["email"]}


def test_every_template_route_has_an_access_rule_here():
    assert set(ROUTES) == set(EXPECTED_ROLES), "a route of template.yaml has no expected roles (or one listed here is gone)"


def test_functions_declare_exactly_these_rules():
    declared: dict[tuple[str, str], set[str]] = {}
    for logical_id in {r.function for r in template.routes()}:
        declared |= {k: set(v) for k, v in module(logical_id).api.rules.items()}
    assert declared == EXPECTED_ROLES


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_each_role_is_let_in_or_refused(world, route):
    method, path = route
    for role in ROLES:
        reply = call(method, _fill(path, world), **_as(role, world), **_request(route, world))
        if role in EXPECTED_ROLES[route] or EXPECTED_ROLES[route] == ANYONE:
            assert reply.status not in (401, 403), f"{role} was refused: {reply.body}"
        else:
            assert reply.status == 403, f"{role} got {reply.status}: {reply.body}"
            assert reply.headers["content-type"] == "application/problem+json"
            # Refused before validation: a caller without the role learns nothing of the route's input.
            assert call(method, _fill(path, world), **_as(role, world), raw_body="{").status == 403


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_no_identity_is_unauthorized(world, route):
    method, path = route
    reply = call(method, _fill(path, world), anonymous=True, **_request(route, world))
    assert reply.status == (200 if EXPECTED_ROLES[route] == ANYONE else 401), reply.body


# A public route has no tenant to be another of: a slug is global (see test_booking.py).
@pytest.mark.parametrize("route", [r for r in ROUTES if "{" in r[1] and EXPECTED_ROLES[r] != ANYONE], ids=lambda r: f"{r[0]} {r[1]}")
def test_another_tenants_object_is_not_found(world, route):
    method, path = route
    role = ADMIN if ADMIN in EXPECTED_ROLES[route] else sorted(EXPECTED_ROLES[route])[0]
    reply = call(method, _fill(path, world), tenant="t2", **_as(role, world), **_request(route, world))
    assert reply.status == 404, reply.body
    # ...and the owner still has it, untouched.
    assert call("GET", f"/contacts/{world['contact_id']}").json["version"] == 1


def test_lists_never_show_another_tenants_objects(world):
    for path in ("/contacts", "/contact-groups"):
        assert call("GET", path, tenant="t2", role=ADMIN).json["items"] == []
        assert call("GET", path, role=ADMIN).json["items"] != []
    assert call("GET", "/contacts", tenant="t2", query={"q": "abc"}).json["items"] == []
    assert call("GET", "/settings", tenant="t2", role=ADMIN).json["version"] == 0


def test_customers_reach_only_their_booking_site_routes():
    assert CUSTOMER in ROLES
    customer_routes = {r for r, roles in EXPECTED_ROLES.items() if CUSTOMER in roles}
    assert customer_routes == {r for r in EXPECTED_ROLES if r[1].startswith("/booking/sites/{slug}/")}
    assert all(roles == CUSTOMERS for r, roles in EXPECTED_ROLES.items() if r in customer_routes)


def test_the_template_guards_each_route_with_the_authorizer_its_rule_needs():
    """Public routes skip the authorizer, customer routes take the customer pool's tokens, and
    every other route the staff pool's (the default)."""
    from infra.gateway import api_routes

    for route in api_routes():
        roles = EXPECTED_ROLES[(route.method, route.path)]
        expected = None if roles == ANYONE else "CustomerAuth" if roles == CUSTOMERS else "CognitoAuth"
        assert route.authorizer == expected, f"{route.method} {route.path}"
