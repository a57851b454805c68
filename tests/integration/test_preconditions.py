"""If-Match (RFC 9110 13.1.1): strong comparison, `*` for any current representation, lists of tags.
And the per-client rate of the route anyone may call."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from infra import template
from tests.support.lambdas import api_event, call, invoke, module


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    return call("POST", "/contacts", body={"name": "Site", "group_id": group}).json["id"]


def _rename(contact: str, if_match: str | None, name: str = "Renamed"):
    return call("PATCH", f"/contacts/{contact}", body={"name": name}, headers={"If-Match": if_match} if if_match is not None else {})


def test_every_if_match_compares_with_the_etag_of_a_get_of_its_function():
    """What settles `If-Match: *` and lists: the route's ETag source is one of its function's GETs."""
    for logical_id in {r.function for r in template.routes()}:
        api = module(logical_id).api
        for contract in api.contracts.values():
            if contract.if_match:
                assert ("GET", contract.etag_source) in api.contracts, f"{contract.method} {contract.path}"


def test_a_weak_etag_does_not_match(contact):
    reply = _rename(contact, 'W/"1"')
    assert reply.status == 412 and reply.headers["content-type"] == "application/problem+json"
    assert call("GET", f"/contacts/{contact}").json["name"] == "Site"


def test_the_strong_etag_matches(contact):
    reply = _rename(contact, '"1"')
    assert reply.status == 200 and reply.headers["etag"] == '"2"'


def test_star_matches_whatever_version_is_current(contact):
    assert _rename(contact, '"1"', "First").status == 200
    reply = _rename(contact, "*", "Second")
    assert reply.status == 200 and reply.json["name"] == "Second" and reply.headers["etag"] == '"3"'


def test_a_list_matches_when_one_of_its_strong_tags_does(contact):
    assert _rename(contact, 'W/"1", "7"').status == 412
    reply = _rename(contact, '"7", "1"')
    assert reply.status == 200 and reply.headers["etag"] == '"2"'


def test_no_if_match_is_428_and_garbage_is_412(contact):
    assert _rename(contact, None).status == 428
    assert _rename(contact, "1").status == 412
    assert _rename(contact, "").status == 428


def test_star_on_a_resource_that_does_not_exist_is_412(contact):
    assert _rename("01ARZ3NDEKTSV4RRFFQ69G5FAV", "*").status == 412


def test_star_settles_if_match_of_a_delete_too(contact):
    assert call("DELETE", f"/contacts/{contact}", headers={"If-Match": "*"}).status == 204
    assert call("GET", f"/contacts/{contact}").status == 404


def test_star_creates_nothing_on_a_put_that_would_create(contact):
    """PUT with If-Match: * means "only if it exists": no booking site yet, so 412 and none made."""
    job_type = call("POST", "/job-types", role="admin", body={"name": "Service"}).json["id"]
    site = {"slug": "star-site", "job_type_ids": [job_type], "notify_email": "office@t1.example"}
    assert call("PUT", f"/contacts/{contact}/booking-site", body=site, headers={"If-Match": "*"}).status == 412
    assert call("GET", f"/contacts/{contact}/booking-site").status == 404
    assert call("PUT", f"/contacts/{contact}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
    replaced = call("PUT", f"/contacts/{contact}/booking-site", body={**site, "slug": "star-site-2"}, headers={"If-Match": "*"})
    assert replaced.status == 200 and replaced.json["slug"] == "star-site-2"


def test_star_on_a_field_list_reads_the_lists_etag(contact):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Sites"}).json["id"]
    path = f"/contact-groups/{group}/fields"
    field = call("POST", path, role="admin", body={"label": "Gate code", "type": "text"}).json["id"]
    call("POST", path, role="admin", body={"label": "Floor", "type": "text"})
    reply = call("PATCH", f"{path}/{field}", role="admin", body={"label": "Door code"}, headers={"If-Match": "*"})
    assert reply.status == 200 and reply.headers["etag"] == '"3"'


def _public_site(slug: str, ip: str) -> dict:
    function, event = api_event("GET", f"/booking/sites/{slug}")
    event["requestContext"]["identity"]["sourceIp"] = ip
    return invoke(function, event)


def test_the_public_site_is_rate_limited_per_client(aws, monkeypatch):
    """Walking slugs from one address is slowed to the limit; other clients are not."""
    from crm.platform import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 9, 0, 10, tzinfo=UTC))
    limit = module("BookingFunction").PUBLIC_LOOKUPS
    for n in range(limit.requests):
        assert _public_site(f"guess-{n}", "203.0.113.7")["statusCode"] == 404
    refused = _public_site("guess-next", "203.0.113.7")
    assert refused["statusCode"] == 429 and refused["headers"]["Retry-After"] == str(limit.seconds - 10)
    assert json.loads(refused["body"])["status"] == 429
    assert _public_site("guess-next", "198.51.100.1")["statusCode"] == 404
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 9, 1, 0, tzinfo=UTC))  # the next window
    assert _public_site("guess-next", "203.0.113.7")["statusCode"] == 404
