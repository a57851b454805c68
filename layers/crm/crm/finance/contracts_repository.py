"""DynamoDB keys and writes of contracts and their billed periods. The only module that knows them.

Items (every key starts with the tenant, through crm.platform.keys):
  contract  PK=T#t#CONTRACT#<id>  SK=CONTRACT
            GSI1 T#t#CONTRACTS-CONTACT#<contact> / <start>#<id>   a contact's contracts
            GSI2 T#t#CONTRACTS / <start>#<id>                      all of them
            GSI3 T#t#BILLING-DUE / <next billing date>#<id>       (sparse) active with a period
                 left to bill: the billing run's list, read up to the run's day (no Scan)
  period    PK=T#t#CONTRACT#<id>  SK=PERIOD#<index, 4 digits>   the claim of a billed period,
            written in the same transaction as its invoice's creation (attribute_not_exists): one
            invoice per period, whoever bills it (the run, a redelivery, "bill now")
"""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

CONTRACT, PERIOD = "CONTRACT", "PERIOD#"
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3) for part in ("PK", "SK")}) | {"PK", "SK"}


def _pk(tenant: str, contract_id: str) -> str:
    return tenant_key(tenant, "CONTRACT", contract_id)


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def stale() -> PreconditionFailed:
    return PreconditionFailed(tr("the contract changed since you read it; reload it and apply your change again"))


def due_partition(tenant: str) -> str:
    return tenant_key(tenant, "BILLING-DUE")


def _item(tenant: str, contract: dict) -> dict:
    order = f"{contract['start_date']}#{contract['id']}"
    item = {
        **contract,
        "PK": _pk(tenant, contract["id"]),
        "SK": CONTRACT,
        "GSI1PK": tenant_key(tenant, "CONTRACTS-CONTACT", contract["contact_id"]),
        "GSI1SK": order,
        "GSI2PK": tenant_key(tenant, "CONTRACTS"),
        "GSI2SK": order,
    }
    if contract.get("next_billing_date"):
        item |= {"GSI3PK": due_partition(tenant), "GSI3SK": f"{contract['next_billing_date']}#{contract['id']}"}
    return dynamo.to_item({k: v for k, v in item.items() if v is not None})


def key(tenant: str, contract_id: str) -> tuple[str, str]:
    """The contract's key (for a batch read with other items)."""
    return _pk(tenant, contract_id), CONTRACT


def of_item(item: dict) -> dict:
    return _out(item)


def get(tenant: str, contract_id: str) -> dict | None:
    item = dynamo.get(_pk(tenant, contract_id), CONTRACT)
    return _out(item) if item else None


def create(tenant: str, contract: dict, also: Sequence[dynamo.Step] = (), claim: Sequence[dynamo.Step] = ()) -> None:
    put = dynamo.put(_item(tenant, contract), ConditionExpression=Attr("PK").not_exists())
    dynamo.transact_explained([*claim, (put, Conflict(tr("a contract with this id exists"))), *also])


def save_step(tenant: str, contract: dict, expected_version: int) -> dynamo.Step:
    return dynamo.put(_item(tenant, contract), ConditionExpression=Attr("version").eq(expected_version)), stale()


def save(tenant: str, contract: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained([save_step(tenant, contract, expected_version), *also])


def delete(tenant: str, contract: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    held = Attr("version").eq(expected_version) & Attr("status").eq("draft")
    dynamo.transact_explained([(dynamo.delete(_pk(tenant, contract["id"]), CONTRACT, ConditionExpression=held), stale()), *also])


def page(
    tenant: str, query: dict, *, contact_id: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    if contact_id:
        partition, index = ("GSI1PK", tenant_key(tenant, "CONTRACTS-CONTACT", contact_id)), "GSI1"
    else:
        partition, index = ("GSI2PK", tenant_key(tenant, "CONTRACTS")), "GSI2"
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=partition,
        index=index,
        limit=limit,
        cursor=cursor,
        newest_first=True,
        filter_expression=Attr("status").eq(status) if status else None,
    )
    return [_out(i) for i in items], next_cursor


def due_page(tenant: str, as_of: str, *, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
    """Contracts with a period to bill on or before `as_of` (ids and dates only), one page."""
    from crm.platform import aws

    args: dict = {
        "IndexName": "GSI3",
        "KeyConditionExpression": Key("GSI3PK").eq(due_partition(tenant)) & Key("GSI3SK").lte(f"{as_of}~"),
        "Limit": limit,
        "ProjectionExpression": "id, next_billing_date",
    }
    if start:
        args["ExclusiveStartKey"] = start
    response = aws.table().query(**args)
    return [dynamo.from_item(i) for i in response["Items"]], response.get("LastEvaluatedKey")


# ---------------------------------------------------------------- billed periods


def claim_step(tenant: str, contract_id: str, period: dict) -> dynamo.Step:
    """The period claimed for its invoice: a second claim fails (Conflict), so it is billed once."""
    item = dynamo.to_item({**period, "PK": _pk(tenant, contract_id), "SK": f"{PERIOD}{period['period']:04d}"})
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this period of the contract is billed already"))


def claimed(tenant: str, contract_id: str, index: int) -> dict | None:
    item = dynamo.get(_pk(tenant, contract_id), f"{PERIOD}{index:04d}")
    return _out(item) if item else None


def claims(tenant: str, contract_id: str) -> list[dict]:
    """The contract's billed periods, in order (bounded: one per period)."""
    return [_out(i) for i in dynamo.query_all(("PK", _pk(tenant, contract_id)), Key("SK").begins_with(PERIOD))]
