"""A transaction retried by botocore after its response was lost commits once, as on DynamoDB: the
retry carries the call's ClientRequestToken and the stand-in (infra/dynamodb_tokens.py) answers it
like DynamoDB does."""

from __future__ import annotations

import json

import pytest
from boto3.dynamodb.conditions import Attr
from botocore import handlers
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.support.lambdas import call, forget_layer_state


@pytest.fixture
def lost_first_response(aws, monkeypatch):
    """The first TransactWriteItems commits, then its response is lost (a read timeout): botocore's
    own retry sends the request again. Returns the tokens of the attempts botocore sent."""
    tokens: list[str | None] = []

    def lose_once(request, event_name, **_):
        # Registered after moto's stubber on the same event, so moto has already answered.
        if not event_name.endswith(".TransactWriteItems"):
            return None
        tokens.append(json.loads(request.body).get("ClientRequestToken"))
        if len(tokens) == 1:
            raise ReadTimeoutError(endpoint_url=request.url)
        return None

    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", [*handlers.BUILTIN_HANDLERS, ("before-send", lose_once)])
    forget_layer_state()  # the next clients are built with the hook
    return tokens


def _claim(sk: str) -> dict:
    from crm.platform import dynamo

    return dynamo.put({"PK": "T#t1#TEST", "SK": sk}, ConditionExpression=Attr("PK").not_exists())


def test_a_transaction_whose_response_was_lost_commits_once_and_succeeds(lost_first_response):
    from crm.platform import dynamo

    dynamo.transact([_claim("ONE")])

    assert len(lost_first_response) == 2, "botocore retried the lost attempt"
    assert lost_first_response[0] and lost_first_response[0] == lost_first_response[1], "the retry carries the call's token"
    assert dynamo.get("T#t1#TEST", "ONE") is not None


def test_a_create_whose_response_was_lost_answers_201_not_409(lost_first_response):
    created = call("POST", "/stock/items", body={"kind": "stock", "make": "Grundfos", "model": "Alpha2"})

    assert created.status == 201, created.json
    assert len(lost_first_response) >= 2
    listed = call("GET", "/stock/items", query={"q": "grundfos"}).json["items"]
    assert [i["id"] for i in listed] == [created.json["id"]]


def test_a_token_reused_with_other_items_is_refused_and_writes_nothing(aws):
    from crm.platform import dynamo

    dynamo.transact([_claim("FIRST")], token="same-token")
    with pytest.raises(ClientError) as refused:
        dynamo.transact([_claim("SECOND")], token="same-token")

    assert dynamo.error_code(refused.value) == "IdempotentParameterMismatchException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert dynamo.get("T#t1#TEST", "SECOND") is None


def test_the_same_token_and_items_again_write_nothing_again(aws):
    from crm.platform import dynamo

    dynamo.transact([dynamo.put({"PK": "T#t1#TEST", "SK": "N", "n": 1})], token="again")
    dynamo.aws.table().put_item(Item={"PK": "T#t1#TEST", "SK": "N", "n": 2})  # changed since
    dynamo.transact([dynamo.put({"PK": "T#t1#TEST", "SK": "N", "n": 1})], token="again")

    assert dynamo.get("T#t1#TEST", "N")["n"] == 2


def test_a_cancelled_transactions_token_runs_again(aws):
    from crm.platform import dynamo

    dynamo.aws.table().put_item(Item={"PK": "T#t1#TEST", "SK": "TAKEN"})
    with pytest.raises(ClientError):
        dynamo.transact([_claim("TAKEN")], token="retry-me")
    dynamo.aws.table().delete_item(Key={"PK": "T#t1#TEST", "SK": "TAKEN"})
    dynamo.transact([_claim("TAKEN")], token="retry-me")

    assert dynamo.get("T#t1#TEST", "TAKEN") is not None


def test_a_token_is_forgotten_ten_minutes_after_its_commit_and_only_then(aws, monkeypatch):
    from crm.platform import dynamo
    from infra import dynamodb_tokens

    now = [1000.0]
    monkeypatch.setattr(dynamodb_tokens.time, "monotonic", lambda: now[0])
    dynamo.transact([_claim("OLD")], token="old-token")
    now[0] += 300
    dynamo.transact([_claim("NEWER")], token="newer-token")
    now[0] += dynamodb_tokens.TOKEN_WINDOW_S - 299  # past the first one's window, within the second's

    dynamo.transact([_claim("REUSED")], token="old-token")  # a new request now: it runs
    with pytest.raises(ClientError) as refused:
        dynamo.transact([_claim("OTHER")], token="newer-token")

    assert dynamo.error_code(refused.value) == "IdempotentParameterMismatchException"
    assert dynamo.get("T#t1#TEST", "REUSED") is not None and dynamo.get("T#t1#TEST", "OTHER") is None
