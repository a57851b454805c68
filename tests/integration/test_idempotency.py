"""An Idempotency-Key holds after a failure: a retry finds what the first attempt created, whether
that attempt failed after its write, timed out, or raced the retry; never a second resource."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from crm.platform import dynamo
from crm.platform.auth import ADMIN, CUSTOMER
from infra import template
from tests.integration.test_access_matrix import EXPECTED_ROLES, _as, _path, _request
from tests.support.lambdas import FUNCTIONS, call, module

CREATES = sorted(
    (method, path)
    for logical_id in {r.function for r in template.routes()}
    for (method, path), contract in module(logical_id).api.contracts.items()
    if contract.location
)


def _id(resource: dict) -> str:
    """A created resource's id (a document linked to an opportunity is named by its document_id)."""
    return resource.get("id") or resource["document_id"]


def _role(route: tuple[str, str]) -> str:
    roles = EXPECTED_ROLES[route]
    return ADMIN if ADMIN in roles else CUSTOMER if CUSTOMER in roles else sorted(roles)[0]


class FailAfterWrite:
    """dynamo.transact, committing then failing (`failures` times): a Lambda that dies after its
    write. Records the resource each claim names."""

    def __init__(self, monkeypatch, failures: int = 1):
        self.real, self.failures, self.claimed, self.lock = dynamo.transact, failures, [], threading.Lock()
        monkeypatch.setattr(dynamo, "transact", self)

    def __call__(self, operations, token=None):
        self.real(operations, token)
        self.claimed += [op["Put"]["Item"]["resource_id"] for op in operations if op.get("Put", {}).get("Item", {}).get("SK") == "CLAIM"]
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("the Lambda died after its write")


def test_every_create_declares_a_location_its_function_reads():
    for logical_id in {r.function for r in template.routes()}:
        api = module(logical_id).api
        for contract in api.contracts.values():
            if contract.location:
                assert ("GET", contract.location) in api.contracts, f"{contract.method} {contract.path}"


@pytest.mark.parametrize("route", CREATES, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_retry_after_a_failure_past_the_write_gets_what_was_created(world, atomic_dynamodb, monkeypatch, route):
    method, path = route
    who = _as(_role(route), world)
    request = _request(route, world)
    key = {"Idempotency-Key": f"retry-{path}"}
    failing = FailAfterWrite(monkeypatch)
    first = call(method, _path(route, world), **who, **{**request, "headers": {**request.get("headers", {}), **key}})
    assert first.status == 500 and failing.claimed, first.body
    (created,) = failing.claimed

    atomic_dynamodb.clear()
    retry = call(method, _path(route, world), **who, **{**request, "headers": {**request.get("headers", {}), **key}})
    assert retry.status == 201, retry.body
    assert _id(retry.json) == created
    assert "TransactWriteItems" not in atomic_dynamodb  # nothing written a second time
    location = retry.headers["location"]
    assert location.endswith(f"/{created}")
    assert _id(call("GET", location, **who).json) == created


@pytest.fixture
def group(aws):
    return call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]


def test_ten_parallel_posts_with_one_key_store_one_contact(group, atomic_dynamodb, monkeypatch):
    """Each client retries until it has its 201 (409 while another is in progress, 5xx when its
    attempt died after writing: the first three do)."""
    failing = FailAfterWrite(monkeypatch, failures=3)
    body, key = {"name": "Société Lumière", "group_id": group}, {"Idempotency-Key": "parallel-1"}
    answers: list = []
    unexpected: list = []

    def client() -> None:
        for _ in range(200):
            reply = call("POST", "/contacts", body=body, headers=key)
            if reply.status == 201:
                answers.append(reply)
                return
            if reply.status not in (409, 500):
                unexpected.append(reply)

    threads = [threading.Thread(target=client) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    assert len(answers) == 10
    assert len({a.json["id"] for a in answers}) == 1
    assert [c["name"] for c in call("GET", "/contacts").json["items"]] == ["Société Lumière"]
    assert set(failing.claimed) == {answers[0].json["id"]}


def _expire_in_progress_records(aws) -> None:
    """What time does to a timed-out Lambda's in-progress record: it expires."""
    table = boto3.resource("dynamodb").Table(aws["IdempotencyTable"])
    for item in table.scan()["Items"]:
        table.update_item(
            Key={"id": item["id"]}, UpdateExpression="SET in_progress_expiration = :past", ExpressionAttributeValues={":past": 0}
        )


def test_an_attempt_that_times_out_then_loses_to_its_retry_answers_what_the_retry_created(group, aws, atomic_dynamodb, monkeypatch):
    """The first attempt stalls before its write until its in-progress record expires; the client's
    retry runs meanwhile and creates the contact. The first then writes: its transaction fails on
    the claim, and it answers 201 with the retry's contact."""
    body, key = {"name": "Lumière", "group_id": group}, {"Idempotency-Key": "timeout-1"}
    real, retry_answers, stalled = dynamo.transact, [], threading.Event()

    def stalling(operations, token=None):
        if not stalled.is_set():  # the first attempt, at its write: the Lambda timed out meanwhile
            stalled.set()
            with FUNCTIONS.enforcer.the_tests_own():  # time passing, not the function's own call
                _expire_in_progress_records(aws)
            retry = threading.Thread(target=lambda: retry_answers.append(call("POST", "/contacts", body=body, headers=key)))
            retry.start()
            retry.join()
        return real(operations, token)

    monkeypatch.setattr(dynamo, "transact", stalling)
    first = call("POST", "/contacts", body=body, headers=key)
    (retry,) = retry_answers
    assert retry.status == 201 and first.status == 201, first.body
    assert first.json["id"] == retry.json["id"] and first.headers["location"] == retry.headers["location"]
    assert len(call("GET", "/contacts").json["items"]) == 1


def test_the_same_key_with_another_body_after_a_failure_is_a_422(group, monkeypatch):
    FailAfterWrite(monkeypatch)
    key = {"Idempotency-Key": "changed-body"}
    assert call("POST", "/contacts", body={"name": "A", "group_id": group}, headers=key).status == 500
    reply = call("POST", "/contacts", body={"name": "B", "group_id": group}, headers=key)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "Idempotency-Key"
    assert [c["name"] for c in call("GET", "/contacts").json["items"]] == ["A"]


def _forget_replays(aws) -> None:
    """Powertools' records gone, as after a failed attempt (deleted) or a day (expired)."""
    table = boto3.resource("dynamodb").Table(aws["IdempotencyTable"])
    for item in table.scan()["Items"]:
        table.delete_item(Key={"id": item["id"]})


def test_a_key_whose_creation_was_deleted_since_is_a_409(group, aws):
    key = {"Idempotency-Key": "then-deleted"}
    created = call("POST", "/contacts", body={"name": "A", "group_id": group}, headers=key).json
    assert call("DELETE", f"/contacts/{created['id']}", headers={"If-Match": '"1"'}).status == 204
    _forget_replays(aws)
    reply = call("POST", "/contacts", body={"name": "A", "group_id": group}, headers=key)
    assert reply.status == 409 and created["id"] in reply.json["detail"]
    assert call("GET", "/contacts").json["items"] == []


def test_a_throttled_idempotency_store_is_503_with_retry_after(group):
    from crm.platform import idempotency

    store = idempotency._store()

    def throttled(**kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store.client, "put_item", throttled)
        reply = call("POST", "/contacts", body={"name": "A", "group_id": group}, headers={"Idempotency-Key": "throttled"})
    assert reply.status == 503 and reply.headers["retry-after"] == "1"
    assert reply.headers["content-type"] == "application/problem+json"
    assert call("GET", "/contacts").json["items"] == []


class Unprocessed:
    """batch_get_item leaving every key unprocessed `times` times, then answering."""

    def __init__(self, real, times: int):
        self.real, self.times, self.calls = real, times, 0

    def __call__(self, RequestItems):
        self.calls += 1
        if self.calls <= self.times:
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        return self.real(RequestItems=RequestItems)


def test_batch_get_asks_again_for_unprocessed_keys_with_bounded_backoff(group, monkeypatch):
    from crm.platform import aws as platform_aws

    created = call("POST", "/contacts", body={"name": "Lumière", "group_id": group}).json
    client = platform_aws.table().meta.client
    flaky = Unprocessed(client.batch_get_item, times=2)
    sleeps: list[float] = []
    monkeypatch.setattr(client, "batch_get_item", flaky)
    monkeypatch.setattr(dynamo.time, "sleep", sleeps.append)
    assert [c["id"] for c in call("GET", "/contacts", query={"q": "lumi"}).json["items"]] == [created["id"]]
    assert flaky.calls == 3 and len(sleeps) == 2 and all(0 <= s <= dynamo.BACKOFF_CAP_S for s in sleeps)


def test_batch_get_gives_up_with_a_503_when_keys_stay_unprocessed(group, monkeypatch):
    from crm.platform import aws as platform_aws

    call("POST", "/contacts", body={"name": "Lumière", "group_id": group})
    client = platform_aws.table().meta.client
    stuck = Unprocessed(client.batch_get_item, times=10**6)
    monkeypatch.setattr(client, "batch_get_item", stuck)
    monkeypatch.setattr(dynamo.time, "sleep", lambda s: None)
    reply = call("GET", "/contacts", query={"q": "lumi"})
    assert reply.status == 503 and reply.headers["retry-after"] == "1"
    assert stuck.calls == dynamo.BATCH_RETRIES + 1


def test_claims_expire_with_the_replay_window(group, aws, monkeypatch):
    """A key used again after a day is a new request (DynamoDB's TTL deletes late; the claim's own
    expiry counts)."""
    from crm.platform import clock

    key = {"Idempotency-Key": "a-day-later"}
    first = call("POST", "/contacts", body={"name": "A", "group_id": group}, headers=key).json
    _forget_replays(aws)
    monkeypatch.setattr(clock, "now", lambda: datetime(2099, 1, 1, tzinfo=UTC))
    second = call("POST", "/contacts", body={"name": "A", "group_id": group}, headers=key)
    assert second.status == 201 and second.json["id"] != first["id"]
