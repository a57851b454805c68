"""A filtered list page reads a bounded number of times and never skips an item between pages."""

from __future__ import annotations

import boto3
import pytest
from boto3.dynamodb.conditions import Attr

from crm.platform import aws as platform_aws
from crm.platform import dynamo


@pytest.fixture
def sparse_partition(aws):
    with boto3.resource("dynamodb").Table(aws["Table"]).batch_writer() as batch:
        for i in range(400):
            batch.put_item(Item={"PK": "T#t1#PROBE", "SK": f"{i:04d}", "wanted": i % 97 == 0})


def test_a_sparse_filter_reads_a_bounded_number_of_times_per_page_and_pages_on(sparse_partition, monkeypatch):
    table, reads = platform_aws.table(), []
    real = table.query
    monkeypatch.setattr(table, "query", lambda **kw: reads.append(kw) or real(**kw))
    found, cursor, pages = [], None, 0
    while True:
        items, cursor = dynamo.query_page(
            tenant="t1",
            query={"probe": 1},
            partition=("PK", "T#t1#PROBE"),
            limit=10,
            cursor=cursor,
            filter_expression=Attr("wanted").eq(True),
        )
        found += [i["SK"] for i in items]
        pages += 1
        assert len(reads) <= dynamo.MAX_READS_PER_PAGE
        reads.clear()
        if not cursor:
            break
    assert found == [f"{i:04d}" for i in range(0, 400, 97)]  # nothing skipped, nothing twice
    assert pages > 1  # short pages with a cursor, rather than one request reading everything
