"""The bench's one-partition Query (bench/partitions.py) answers every Query as moto does: random
pages (limits, start keys, both directions, key conditions, filters, ties on a GSI's sort key)
between random writes, each compared with moto's own whole-table answer. The bench's figures rest
on it."""

from __future__ import annotations

import random

from boto3.dynamodb.conditions import Attr, Key

from bench.partitions import partitioned, same_as_moto


def _item(rng: random.Random) -> dict:
    item = {"PK": f"P{rng.randint(0, 3)}", "SK": f"S{rng.randint(0, 60):03d}", "n": rng.randint(0, 9)}
    if rng.random() < 0.7:
        item |= {"GSI1PK": f"G{rng.randint(0, 2)}", "GSI1SK": f"K{rng.randint(0, 6)}"}  # many ties
    return item


def _query(rng: random.Random) -> dict:
    on_index = rng.random() < 0.5
    hash_key, sort_key, prefix, top = ("GSI1PK", "GSI1SK", "K", 6) if on_index else ("PK", "SK", "S", 60)
    condition = Key(hash_key).eq(f"G{rng.randint(0, 2)}" if on_index else f"P{rng.randint(0, 3)}")
    low, high = sorted(f"{prefix}{rng.randint(0, top):0{1 if on_index else 3}d}" for _ in range(2))
    condition = rng.choice(
        [
            condition,
            condition & Key(sort_key).begins_with(low[:-1]),
            condition & Key(sort_key).between(low, high),
            condition & Key(sort_key).lt(low),
            condition & Key(sort_key).gte(low),
            condition & Key(sort_key).eq(low),
        ]
    )
    asked = {"KeyConditionExpression": condition, "ScanIndexForward": rng.random() < 0.5}
    asked |= {"IndexName": "GSI1"} if on_index else {}
    asked |= {"Limit": rng.randint(1, 7)} if rng.random() < 0.8 else {}
    return asked | ({"FilterExpression": Attr("n").gt(4)} if rng.random() < 0.2 else {})


def test_every_page_is_motos_own_answer(aws):
    from crm.platform import aws as platform_aws

    table, rng, pages = platform_aws.table(), random.Random(5), 0
    with partitioned():
        for _ in range(300):
            table.put_item(Item=_item(rng))
        for _ in range(120):
            for _ in range(rng.randint(0, 3)):  # writes between queries: the maps forget what they change
                written = _item(rng)
                table.delete_item(Key={"PK": written["PK"], "SK": written["SK"]}) if rng.random() < 0.3 else table.put_item(Item=written)
            asked, start = _query(rng), None
            while True:
                more = {"ExclusiveStartKey": start} if start else {}
                page = same_as_moto(
                    lambda asked=asked, more=more: {k: v for k, v in table.query(**asked, **more).items() if k != "ResponseMetadata"}
                )
                pages, start = pages + 1, page.get("LastEvaluatedKey")
                if not start:
                    break
    assert pages > 300  # most queries took several pages
