"""The catalogue: items, their make and model index entries (the make/model's uniqueness)."""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.platform.text import fold
from crm.stock.repository.balances import balance_put, transact
from crm.stock.repository.records import ITEM, clean, item_pk, order, out


def stale_item() -> PreconditionFailed:
    return PreconditionFailed(tr("the item changed since you read it; reload it and apply your change again"))


def create_item(tenant: str, item: dict, total: dict, claim: Sequence[dynamo.Step]) -> None:
    """The item, its total, and the make and model index entries (the model's is the make/model's
    uniqueness) in one transaction, with the request's idempotency claim first."""
    pk = item_pk(tenant, item["id"])
    record = {**item, "PK": pk, "SK": ITEM, "GSI1PK": tenant_key(tenant, "SITEMS"), "GSI1SK": order(item)}
    model = {"PK": tenant_key(tenant, "SMODELS", fold(item["make"])), "SK": fold(item["model"]), "make": item["make"]}
    steps: list[dynamo.Step] = [
        *claim,
        (dynamo.put(clean(record), ConditionExpression=Attr("PK").not_exists()), Conflict(tr("an item with this id exists"))),
        (
            dynamo.put({**model, "model": item["model"], "item_id": item["id"]}, ConditionExpression=Attr("PK").not_exists()),
            Conflict(tr("{make} {model} is already in the catalogue", make=item["make"], model=item["model"])),
        ),
        (dynamo.put({"PK": tenant_key(tenant, "SMAKES"), "SK": fold(item["make"]), "make": item["make"]}), None),
        balance_put(tenant, total, None),
    ]
    dynamo.transact_explained(steps)


def save_item(tenant: str, item: dict, expected_version: int, total: dict) -> None:
    """The item at `expected_version` replaced, with its total (its reorder levels copied there)."""
    record = {**item, "PK": item_pk(tenant, item["id"]), "SK": ITEM, "GSI1PK": tenant_key(tenant, "SITEMS"), "GSI1SK": order(item)}
    held = Attr("version").eq(expected_version)
    transact([(dynamo.put(clean(record), ConditionExpression=held), stale_item()), balance_put(tenant, total, total["version"] - 1)])


def get_item(tenant: str, item_id: str) -> dict | None:
    found = dynamo.get(item_pk(tenant, item_id), ITEM)
    return out(found) if found else None


def items(tenant: str, prefix: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI1PK", tenant_key(tenant, "SITEMS")),
        sort=Key("GSI1SK").begins_with(prefix) if prefix else None,
        index="GSI1",
        limit=limit,
        cursor=cursor,
    )
    return [out(i) for i in found], next_cursor


def makes(tenant: str, prefix: str, limit: int) -> list[dict]:
    sort = Key("SK").begins_with(prefix) if prefix else None
    return [{"make": i["make"]} for i in dynamo.query_all(("PK", tenant_key(tenant, "SMAKES")), sort, limit=limit)]


def models(tenant: str, make: str, prefix: str, limit: int) -> list[dict]:
    sort = Key("SK").begins_with(prefix) if prefix else None
    found = dynamo.query_all(("PK", tenant_key(tenant, "SMODELS", fold(make))), sort, limit=limit)
    return [{"make": i["make"], "model": i["model"], "item_id": i["item_id"]} for i in found]
