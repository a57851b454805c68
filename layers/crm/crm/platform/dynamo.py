"""DynamoDB access shared by every repository: gets, paged queries, transactions, error mapping.

Repositories compose keys (through crm.platform.keys) and conditions; this module only runs them
and turns DynamoDB's failures into domain errors.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder, Key
from botocore.exceptions import ClientError

from crm.platform import aws, pagination, settings
from crm.platform.errors import Unavailable
from crm.platform.i18n import tr

THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}
MAX_TRANSACTION_ITEMS = 100
MAX_READS_PER_PAGE = 8
KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"})
# One item of a transaction and the error to raise when its condition fails (None: not expected to).
Step = tuple[dict, Exception | None]
# Keys BatchGetItem leaves unprocessed (throttling) are asked again this many times, waiting
# BACKOFF_BASE_S * 2**attempt with full jitter (capped), before the request gives up with a 503.
BATCH_RETRIES, BACKOFF_BASE_S, BACKOFF_CAP_S = 5, 0.05, 1.0


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-item codes of a cancelled transaction ("None" for the items that were fine)."""
    return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]


def is_transient(error: ClientError) -> bool:
    codes = set(cancellation_codes(error)) if error_code(error) == "TransactionCanceledException" else set()
    return error_code(error) in THROTTLING or bool(codes & {"ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded"})


def busy() -> Unavailable:
    """The 503 of a throttled or briefly unavailable DynamoDB: nothing was written."""
    return Unavailable(tr("the database is busy; nothing was written, retry shortly"), headers={"Retry-After": "1"})


def get(pk: str, sk: str) -> dict[str, Any] | None:
    return aws.table().get_item(Key={"PK": pk, "SK": sk}, ConsistentRead=True).get("Item")


def batch_get(keys: list[tuple[str, str]], *, consistent: bool = False) -> list[dict[str, Any]]:
    """Items for (PK, SK) pairs, in the order asked (missing ones left out); 100 keys per call.
    Unprocessed keys are asked again with bounded exponential backoff; still unprocessed: 503.
    `consistent`: strongly consistent reads (what a conditional write is about to rely on)."""
    client = aws.table().meta.client
    found: dict[tuple[str, str], dict] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 100):
        chunk = [{"PK": pk, "SK": sk} for pk, sk in unique[start : start + 100]]
        request: dict[str, Any] = {settings.table_name(): {"Keys": chunk, "ConsistentRead": consistent}}
        for attempt in range(BATCH_RETRIES + 1):
            if attempt:
                time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))  # noqa: S311 (jitter, not secrecy)
            response = client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(settings.table_name(), []):
                found[(item["PK"], item["SK"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:
            raise busy()
    return [found[k] for k in unique if k in found]


def query_page(
    *,
    tenant: str,
    query: dict[str, Any],
    partition: tuple[str, str],
    sort: ConditionBase | None = None,
    index: str | None = None,
    limit: int = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
    newest_first: bool = False,
    filter_expression: ConditionBase | None = None,
    keep: Callable[[dict], bool] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a Query, with a signed cursor bound to `tenant` and `query`.

    `partition` is (attribute, value); `sort` an optional key condition on the sort key.
    """
    condition = Key(partition[0]).eq(partition[1])
    if sort is not None:
        condition = condition & sort
    args: dict[str, Any] = {"KeyConditionExpression": condition, "Limit": limit, "ScanIndexForward": not newest_first}
    if index:
        args["IndexName"] = index
    if filter_expression is not None:
        args["FilterExpression"] = filter_expression
    start = pagination.decode(cursor, tenant, query)
    items: list[dict] = []
    # A filter can leave a page short: read on until the page is full or the index ends, but at most
    # MAX_READS_PER_PAGE times, so a sparse filter over a large partition answers with a short page
    # and a cursor rather than reading the whole partition in one request.
    for _ in range(MAX_READS_PER_PAGE):
        if start:
            args["ExclusiveStartKey"] = start
        args["Limit"] = limit - len(items)  # never past the page: the cursor must not skip an item
        response = aws.table().query(**args)
        items.extend(i for i in response["Items"] if keep is None or keep(i))
        start = response.get("LastEvaluatedKey")
        if not start or len(items) >= limit:
            break
    return items, pagination.encode(start, tenant, query)


def query_all(
    partition: tuple[str, str],
    sort: ConditionBase | None = None,
    index: str | None = None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    filter_expression: ConditionBase | None = None,
) -> Iterable[dict]:
    """Every item of a (bounded) collection, e.g. a contact's notes, or its first `limit` ones
    (`limit` counts the items read, before `filter_expression` drops some)."""
    condition = Key(partition[0]).eq(partition[1])
    if sort is not None:
        condition = condition & sort
    args: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": not newest_first}
    if filter_expression is not None:
        args["FilterExpression"] = filter_expression
    if index:
        args["IndexName"] = index
    remaining = limit
    while True:
        if remaining is not None:
            args["Limit"] = remaining
        response = aws.table().query(**args)
        yield from response["Items"]
        if remaining is not None:
            remaining -= len(response["Items"])
        if "LastEvaluatedKey" not in response or remaining == 0:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def count(partition: tuple[str, str], index: str | None = None, sort: ConditionBase | None = None) -> int:
    condition = Key(partition[0]).eq(partition[1])
    args: dict[str, Any] = {"KeyConditionExpression": condition & sort if sort is not None else condition, "Select": "COUNT"}
    if index:
        args["IndexName"] = index
    total = 0
    while True:
        response = aws.table().query(**args)
        total += response["Count"]
        if "LastEvaluatedKey" not in response:
            return total
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _built(args: dict) -> dict:
    """boto3 turns Attr(...) conditions into expressions only at a request's top level, not inside
    TransactItems: build them here, merging their placeholders with the caller's."""
    condition = args.get("ConditionExpression")
    if isinstance(condition, ConditionBase):
        built = ConditionExpressionBuilder().build_expression(condition)
        args = {**args, "ConditionExpression": built.condition_expression}
        names = {**args.get("ExpressionAttributeNames", {}), **built.attribute_name_placeholders}
        values = {**args.get("ExpressionAttributeValues", {}), **built.attribute_value_placeholders}
        args |= {"ExpressionAttributeNames": names} if names else {}
        args |= {"ExpressionAttributeValues": values} if values else {}
    return args


def put(item: dict, **conditions) -> dict:
    return {"Put": {"TableName": settings.table_name(), "Item": item, **_built(conditions)}}


def update(pk: str, sk: str, **expression) -> dict:
    return {"Update": {"TableName": settings.table_name(), "Key": {"PK": pk, "SK": sk}, **_built(expression)}}


def delete(pk: str, sk: str, **conditions) -> dict:
    return {"Delete": {"TableName": settings.table_name(), "Key": {"PK": pk, "SK": sk}, **_built(conditions)}}


def check(pk: str, sk: str, **conditions) -> dict:
    return {"ConditionCheck": {"TableName": settings.table_name(), "Key": {"PK": pk, "SK": sk}, **_built(conditions)}}


def transact(operations: list[dict], token: str | None = None) -> None:
    """All or nothing. Raises ClientError (TransactionCanceledException) for the caller to read.

    Idempotent under botocore's retries: without a `token`, botocore gives the call one (an
    idempotency member of the API model, set once per call) and sends it on every retry, so a retry
    after a lost response is answered by DynamoDB as the success it was, not as a conflict with
    itself. Pass a `token` only to make two calls one (the same token with other items: 400
    IdempotentParameterMismatchException)."""
    if not operations:
        return
    if len(operations) > MAX_TRANSACTION_ITEMS:
        raise ValueError(f"a transaction holds at most {MAX_TRANSACTION_ITEMS} items, got {len(operations)}")
    args: dict[str, Any] = {"TransactItems": operations}
    if token:
        args["ClientRequestToken"] = token
    aws.table().meta.client.transact_write_items(**args)


def batch_delete(keys: Iterable[tuple[str, str]]) -> None:
    with aws.table().batch_writer() as writer:
        for pk, sk in keys:
            writer.delete_item(Key={"PK": pk, "SK": sk})


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-shaped data -> DynamoDB-ready (floats become Decimals, which boto3 requires)."""
    return json.loads(json.dumps(data), parse_float=Decimal)


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB item -> JSON-shaped data (Decimals back to int or float), keys stripped."""
    return json.loads(json.dumps({k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}, default=_number))


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def put_one(item: dict, condition: ConditionBase, error: Exception, claim: Sequence[Step] = ()) -> None:
    """A single conditional Put (half the write cost of a one-item transaction); with an
    idempotency claim (crm.platform.idempotency.claim), the two in one transaction."""
    if claim:
        transact_explained([*claim, (put(item, ConditionExpression=condition), error)])
        return
    try:
        aws.table().put_item(Item=item, ConditionExpression=condition)
    except ClientError as e:
        if error_code(e) == "ConditionalCheckFailedException":
            raise error from None
        raise


def update_one(pk: str, sk: str, error: Exception, **expression) -> None:
    """A single conditional Update; `error` when its condition fails."""
    args = _built(expression)
    try:
        aws.table().meta.client.update_item(TableName=settings.table_name(), Key={"PK": pk, "SK": sk}, **args)
    except ClientError as e:
        if error_code(e) == "ConditionalCheckFailedException":
            raise error from None
        raise


def transact_explained(steps: Sequence[Step], token: str | None = None) -> None:
    """Run a transaction; when an item's condition fails, raise the error paired with that item."""
    try:
        transact([operation for operation, _ in steps], token)
    except ClientError as e:
        if error_code(e) == "TransactionCanceledException":
            for (_, error), code in zip(steps, cancellation_codes(e), strict=False):
                if code == "ConditionalCheckFailed" and error is not None:
                    raise error from None
        raise
