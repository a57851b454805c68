"""A cancelled transaction leaves every item as it was, as on DynamoDB, and the local stand-in
(infra/dynamodb_rollback.py) gets there by putting back the items the transaction names, not by
copying whole tables (which made every transaction cost the table's size)."""

from __future__ import annotations

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

PK = "T#t1#TEST"


@pytest.fixture
def table(aws):
    from crm.platform import dynamo

    table = dynamo.aws.table()
    table.put_item(Item={"PK": PK, "SK": "KEPT", "n": 1, "tags": {"a"}, "GSI1PK": "T#t1#LIST", "GSI1SK": "KEPT"})
    table.put_item(Item={"PK": PK, "SK": "DOOMED", "n": 2, "GSI1PK": "T#t1#LIST", "GSI1SK": "DOOMED"})
    return table


def _items(table) -> dict[str, dict]:
    return {i["SK"]: i for i in table.query(KeyConditionExpression=Key("PK").eq(PK))["Items"]}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table):
    from crm.platform import dynamo

    before = _items(table)
    steps = [
        dynamo.update(PK, "KEPT", UpdateExpression="SET n = :n ADD tags :t", ExpressionAttributeValues={":n": 9, ":t": {"b"}}),
        dynamo.delete(PK, "DOOMED"),
        dynamo.put({"PK": PK, "SK": "NEW", "GSI1PK": "T#t1#LIST", "GSI1SK": "NEW"}),
        dynamo.check(PK, "MISSING", ConditionExpression=Attr("PK").exists()),  # fails last, after the writes
    ]
    with pytest.raises(ClientError) as cancelled:
        dynamo.transact(steps)

    assert dynamo.cancellation_codes(cancelled.value) == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _items(table) == before
    listed = table.query(IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq("T#t1#LIST"))["Items"]
    assert [i["SK"] for i in listed] == ["DOOMED", "KEPT"]


def test_a_transaction_naming_one_item_twice_is_refused_and_changes_nothing(table):
    from crm.platform import dynamo

    before = _items(table)
    twice = [dynamo.put({"PK": PK, "SK": "KEPT", "n": 5}), dynamo.delete(PK, "KEPT")]
    with pytest.raises(ClientError) as refused:
        dynamo.transact(twice)

    assert dynamo.error_code(refused.value) == "ValidationException"
    assert _items(table) == before


def test_a_transaction_copies_no_table(table, monkeypatch):
    """moto deep-copied each table a transaction names, once per item: a cost in the table's size."""
    from moto.dynamodb.models.table import Table

    from crm.platform import dynamo

    copied = []
    monkeypatch.setattr(Table, "__deepcopy__", lambda self, memo: copied.append(self.name) or self, raising=False)
    dynamo.transact([dynamo.put({"PK": PK, "SK": "A"}), dynamo.put({"PK": PK, "SK": "B"})])
    with pytest.raises(ClientError):
        dynamo.transact([dynamo.put({"PK": PK, "SK": "C"}), dynamo.check(PK, "MISSING", ConditionExpression=Attr("PK").exists())])

    assert copied == []
    assert set(_items(table)) == {"KEPT", "DOOMED", "A", "B"}
