"""List cursors are signed with keys kept in SSM (never in a function's environment), and a key
rotation (python -m infra.cursor_keys rotate) breaks no live cursor."""

from __future__ import annotations

import base64
from datetime import timedelta

import boto3
import pytest

from crm.platform import clock, pagination, signing_keys
from infra import cursor_keys
from tests.support.lambdas import call, forget_layer_state

NAME = cursor_keys.parameter_name("prod")


@pytest.fixture
def contacts(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    for name in ("Alpha", "Bravo", "Charlie"):
        call("POST", "/contacts", body={"name": name, "group_id": group})
    return group


def page(cursor: str | None = None):
    return call("GET", "/contacts", query={"limit": 1, "cursor": cursor})


def key_id(cursor: str) -> str:
    return cursor.split(".")[1]


def test_no_function_is_given_the_key_and_the_parameter_is_a_secure_string(contacts, aws):
    parameter = boto3.client("ssm").get_parameter(Name=NAME)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert not any("SIGNING_KEY" in k for k in call("GET", "/contacts").headers)  # nothing leaks in headers either
    cursor = page().json["next_cursor"]
    assert key_id(cursor) == signing_keys.key(aws["CursorSigningKey"]).id


def test_after_a_rotation_the_cursors_signed_before_it_still_page_on(contacts):
    old = page().json["next_cursor"]
    new_id = cursor_keys.rotate(boto3.client("ssm"), NAME)
    forget_layer_state()  # a container started after the rotation

    second = page(old)
    assert second.status == 200 and second.json["items"][0]["name"] == "Bravo"
    assert key_id(second.json["next_cursor"]) == new_id != key_id(old)


def resigned(cursor: str, key: signing_keys.Key) -> str:
    """The same cursor as another container would sign it with `key`."""
    token = cursor.split(".", maxsplit=1)[0]
    payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return f"{token}.{key.id}.{pagination._sign(key, payload)}"


def test_a_container_that_read_the_keys_before_a_rotation_reads_them_again_for_a_newer_cursor(contacts):
    old = page().json["next_cursor"]  # this container has the keys cached
    ssm = boto3.client("ssm")
    cursor_keys.rotate(ssm, NAME)
    new_key = signing_keys.parse(ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"]).current

    reply = page(resigned(old, new_key))  # signed by a container started after the rotation
    assert reply.status == 200 and reply.json["items"][0]["name"] == "Bravo"


def test_unknown_key_ids_make_a_container_read_the_keys_again_at_most_once_a_minute(contacts, monkeypatch):
    old = page().json["next_cursor"]
    reads = []
    real = signing_keys._ring
    monkeypatch.setattr(signing_keys, "_ring", lambda force=False: reads.append(force) or real(force))
    forged = signing_keys.Key("0badc0de", b"x" * 32)
    replies = [page(resigned(old, forged)) for _ in range(5)]
    assert {r.status for r in replies} == {422}
    assert reads.count(True) == 1


def test_a_cursor_signed_with_a_key_retired_longer_ago_than_the_grace_period_is_refused(contacts, monkeypatch):
    old = page().json["next_cursor"]
    cursor_keys.rotate(boto3.client("ssm"), NAME)
    forget_layer_state()
    later = clock.now() + signing_keys.GRACE + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    reply = page(old)
    assert reply.status == 422
    assert reply.json["errors"] == [
        {"field": "cursor", "message": "has expired (its signing key was retired); start again without a cursor"}
    ]
    assert page().status == 200  # starting again works


def test_a_cursor_older_than_its_lifetime_is_refused_even_with_a_current_key(contacts, monkeypatch):
    old = page().json["next_cursor"]
    later = clock.now() + pagination.LIFETIME + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    reply = page(old)
    assert reply.status == 422 and reply.json["errors"][0]["message"] == "has expired; start again without a cursor"


@pytest.mark.parametrize("cursor", ["e30.é", "e30.00000000.é", "W10.12345678.x", "a.b.c.d", "...", "e30.zzzzzzzz.00"])
def test_a_cursor_the_api_did_not_issue_is_a_422_naming_it(contacts, cursor):
    reply = page(cursor)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "cursor", reply.body
