"""Bad input never gives a 5xx and never stores anything: checked once, at the HTTP edge, for every
route (crm.platform.admission and the shared value types), each answer a problem naming the field."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.lambdas import api_event, call, invoke


@pytest.fixture
def group(aws):
    return call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]


def _contacts() -> list:
    return call("GET", "/contacts").json["items"]


def _fields(reply) -> list[str]:
    assert reply.headers["content-type"] == "application/problem+json", reply.body
    return [e["field"] for e in reply.json["errors"]]


def _raw(method: str, path: str, body: bytes, content_type: str = "application/json", encoded: bool = True) -> dict:
    """As API Gateway hands over a body it did not decode as text: base64."""
    from tests.support.lambdas import claims

    function, event = api_event(method, path, user=claims("t1", "office"), headers={"Content-Type": content_type})
    event["body"] = base64.b64encode(body).decode() if encoded else body.decode("latin-1")
    event["isBase64Encoded"] = encoded
    return invoke(function, event)


def test_a_body_that_is_not_utf8_is_a_422_on_body(group):
    answer = _raw("POST", "/contacts", b'{"name": "\xff\xfe", "group_id": "' + group.encode() + b'"}')
    assert answer["statusCode"] == 422
    assert [e["field"] for e in json.loads(answer["body"])["errors"]] == ["body"]
    assert _contacts() == []


def test_a_base64_utf8_json_body_is_read_like_any_other(group):
    answer = _raw("POST", "/contacts", json.dumps({"name": "Société Lumière", "group_id": group}).encode())
    assert answer["statusCode"] == 201
    assert [c["name"] for c in _contacts()] == ["Société Lumière"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_json_sent_as_another_media_type_is_a_415_naming_the_type_expected(group, content_type):
    reply = call("POST", "/contacts", body={"name": "X", "group_id": group}, headers={"Content-Type": content_type})
    assert reply.status == 415 and _fields(reply) == ["Content-Type"]
    assert "application/json" in reply.json["errors"][0]["message"]
    assert _contacts() == []


@pytest.mark.parametrize("body", ['[{"name": "X", "group_id": "%s"}]', "42", '"a contact"', "null", "true"])
def test_json_that_is_not_an_object_is_a_422_and_nothing_is_stored(group, body):
    reply = call("POST", "/contacts", raw_body=body.replace("%s", group))
    assert reply.status == 422 and _fields(reply) == ["body"]
    assert _contacts() == []


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("1e-200", "range"),
        ("1e126", "range"),
        ("-1E-131", "range"),
        ("1.000000000000000000000000000000000000001", "digits"),
        ("12345678901234567890123456789012345678901", "digits"),
    ],
)
def test_numbers_dynamodb_cannot_store_are_a_422_naming_the_field(group, number, why):
    raw = f'{{"name": "X", "group_id": "{group}", "location": {{"lat": 48.8, "lon": {number}}}}}'
    reply = call("POST", "/contacts", raw_body=raw)
    assert reply.status == 422 and _fields(reply) == ["location.lon"]
    assert ("significant digits" if why == "digits" else "range") in reply.json["errors"][0]["message"]
    assert _contacts() == []


def test_an_unstorable_number_is_listed_with_every_other_bad_field(group):
    reply = call("POST", "/contacts", raw_body='{"group_id": "nope", "location": {"lat": 1e-200, "lon": 2}, "colour": "red"}')
    assert reply.status == 422
    assert {"location.lat", "name", "colour"} <= set(_fields(reply))


def test_the_numbers_dynamodb_stores_at_its_limits_are_stored(group):
    reply = call("POST", "/contacts", raw_body=f'{{"name": "X", "group_id": "{group}", "location": {{"lat": 1E-130, "lon": 0.0}}}}')
    assert reply.status == 201, reply.body


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(group, constant):
    reply = call("POST", "/contacts", raw_body=f'{{"name": "X", "group_id": "{group}", "location": {{"lat": {constant}, "lon": 2}}}}')
    assert reply.status == 422 and _fields(reply) == ["body"]


@pytest.mark.parametrize("cursor", ["e30.\u00e9", "\u00e9", "not-a-cursor", "e30", ".", "W10.0123456789abcdef0123456789abcdef"])
def test_a_forged_cursor_is_a_422_on_cursor(aws, cursor):
    reply = call("GET", "/contacts", query={"cursor": cursor})
    assert reply.status == 422 and _fields(reply) == ["cursor"]


@pytest.mark.parametrize("until", ["0", "1700000000", "-1", "tomorrow", "2026-13-01T00:00:00Z"])
def test_a_timestamp_query_takes_iso_8601_only(aws, until):
    reply = call("GET", "/reports/sla-breaches", query={"until": until})
    assert reply.status == 422 and _fields(reply) == ["until"]


def test_a_timestamp_query_in_iso_8601_is_read(aws):
    assert call("GET", "/reports/sla-breaches", query={"until": "2026-12-31T00:00:00Z"}).status == 200


@pytest.fixture
def contact(group):
    return call("POST", "/contacts", body={"name": "Site", "group_id": group}).json["id"]


def test_a_timestamp_in_a_body_given_as_a_number_is_a_422(contact):
    reply = call("POST", f"/contacts/{contact}/availability", body={"start": 0, "end": "2030-01-07T10:00:00Z"})
    assert reply.status == 422 and _fields(reply) == ["start"]
    reply = call("POST", f"/contacts/{contact}/availability", body={"start": "1893920400", "end": "2030-01-07T10:00:00Z"})
    assert reply.status == 422 and _fields(reply) == ["start"]


def test_a_note_alert_given_as_a_number_is_a_422_and_no_note_is_kept(contact):
    reply = call("POST", f"/contacts/{contact}/notes", body={"text": "Call back", "alert_at": 1893920400})
    assert reply.status == 422 and _fields(reply) == ["alert_at"]
    assert call("GET", f"/contacts/{contact}/notes").json["items"] == []


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "two words"])
def test_an_idempotency_key_is_visible_ascii_of_at_most_255(group, key):
    reply = call("POST", "/contacts", body={"name": "X", "group_id": group}, headers={"Idempotency-Key": key})
    assert reply.status == 422 and _fields(reply) == ["Idempotency-Key"]
    assert _contacts() == []


def test_a_route_without_a_body_ignores_one(contact):
    reply = call("GET", f"/contacts/{contact}", raw_body="\udcff not json", headers={"Content-Type": "text/plain"})
    assert reply.status == 200 and reply.json["name"] == "Site"
