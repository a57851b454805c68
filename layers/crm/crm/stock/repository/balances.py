"""Balances and totals of items (on hand, reserved, the sparse reorder index), and the
transactions that move them on the versions read."""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.platform import dynamo
from crm.platform.errors import Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.stock.repository.records import ALL, AT, INDEX_KEYS, TOTAL, clean, item_pk, order, out


class LostRace(Exception):
    """A balance changed between its read and the transaction: read it again and retry."""


def busy_balance() -> Unavailable:
    return Unavailable(tr("this stock is moving too often at once; nothing was written, retry shortly"), headers={"Retry-After": "1"})


def transact(steps: Sequence[dynamo.Step]) -> None:
    """Run a transaction of balance writes (conditional on the versions read) and other steps: a
    step's own error when its condition fails, LostRace when only a balance's did."""
    try:
        dynamo.transact_explained(steps)
    except ClientError as e:
        if dynamo.error_code(e) == "TransactionCanceledException" and "ConditionalCheckFailed" in dynamo.cancellation_codes(e):
            raise LostRace from None
        raise


def _balance_sk(location: str | None) -> str:
    return TOTAL if location is None else AT + location


def balances(tenant: str, item_id: str, locations: Sequence[str | None]) -> dict[str | None, dict]:
    """The balances of an item at these locations (None: its total), as stored (Decimals)."""
    pk = item_pk(tenant, item_id)
    found = dynamo.batch_get([(pk, _balance_sk(loc)) for loc in locations])
    return {(None if i["SK"] == TOTAL else i["SK"][len(AT) :]): {k: v for k, v in i.items() if k not in INDEX_KEYS} for i in found}


def balance_put(tenant: str, balance: dict, expected_version: int | None) -> dynamo.Step:
    """A balance (or total) written at its new version, on condition it is still the one read
    (None: there was none). Error None: the caller reads again and retries on a lost race."""
    location = balance.get("location")
    record = {**balance, "PK": item_pk(tenant, balance["item_id"]), "SK": _balance_sk(location)}
    if location is not None and (balance["on_hand"] != 0 or balance["reserved"] != 0):
        record |= {"GSI3PK": tenant_key(tenant, "STOCKAT", location), "GSI3SK": order(balance)}
    if balance.get("low"):
        record |= {"GSI2PK": tenant_key(tenant, "REORDER"), "GSI2SK": f"{order(balance)}#{location or ALL}"}
    record.pop("low", None)
    held = Attr("PK").not_exists() if expected_version is None else Attr("version").eq(expected_version)
    return dynamo.put(clean(record), ConditionExpression=held), None


def balances_at(tenant: str, location: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI3PK", tenant_key(tenant, "STOCKAT", location)),
        index="GSI3",
        limit=limit,
        cursor=cursor,
    )
    return [out(i) for i in found], next_cursor


def holds_any(tenant: str, location: str) -> bool:
    return bool(list(dynamo.query_all(("GSI3PK", tenant_key(tenant, "STOCKAT", location)), index="GSI3", limit=1)))


def balances_of_item(tenant: str, item_id: str) -> list[dict]:
    return [out(i) for i in dynamo.query_all(("PK", item_pk(tenant, item_id)), Key("SK").begins_with(AT))]


def low(tenant: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """The balances and totals at or below their reorder point: one Query of the sparse index."""
    found, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=("GSI2PK", tenant_key(tenant, "REORDER")), index="GSI2", limit=limit, cursor=cursor
    )
    return [out(i) for i in found], next_cursor
