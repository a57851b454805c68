"""Loading thousands of records fast, with the product's own code building every item.

Inside `collected()`, crm.platform.dynamo.transact keeps the operations a repository (or service)
function hands it instead of running them; `write()` then stores them with BatchWriteItem, 25
items a request. One TransactWriteItems per record would take minutes on moto, which copies the
whole table for each transaction. Conditions are not checked (the generator makes consistent
data); each key's last Put wins; `ADD counter :n[, other :m]` updates are summed and applied once per key.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

import boto3

from crm.platform import dynamo

_ADD = re.compile(r"ADD (\w+ :\w+(?:, \w+ :\w+)*)")


@contextmanager
def collected() -> Iterator[list[dict]]:
    operations: list[dict] = []

    def keep(batch: list[dict], token: str | None = None) -> None:
        operations.extend(batch)

    with patch.object(dynamo, "transact", keep):
        yield operations


def write(operations: list[dict]) -> int:
    """Store collected operations; returns how many items were put."""
    puts: dict[tuple[str, str, str], dict] = {}
    adds: Counter[tuple[str, str, str, str]] = Counter()
    for operation in operations:
        ((kind, body),) = operation.items()
        table = body["TableName"]
        if kind == "Put":
            puts[(table, body["Item"]["PK"], body["Item"]["SK"])] = body["Item"]
        elif kind == "Update" and (add := _ADD.fullmatch(body["UpdateExpression"])):
            for attribute, value in (term.split() for term in add[1].split(", ")):
                adds[(table, body["Key"]["PK"], body["Key"]["SK"], attribute)] += body["ExpressionAttributeValues"][value]
        elif kind != "ConditionCheck":
            raise ValueError(f"bulk.write() does not replay a {kind} {body.get('UpdateExpression', '')!r}")
    dynamodb = boto3.resource("dynamodb")
    for name in {table for table, *_ in puts} | {table for table, *_ in adds}:
        with dynamodb.Table(name).batch_writer() as writer:
            for (table, *_), item in puts.items():
                if table == name:
                    writer.put_item(Item=item)
        for (table, pk, sk, attribute), n in adds.items():
            if table == name:
                dynamodb.Table(name).update_item(
                    Key={"PK": pk, "SK": sk}, UpdateExpression=f"ADD {attribute} :n", ExpressionAttributeValues={":n": n}
                )
    return len(puts)
