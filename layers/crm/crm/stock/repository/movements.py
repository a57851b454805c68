"""Movements, the ledger of each location, equipment units and their history, and the
markers of receipts posted from other contexts' documents."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.stock.repository.records import MOVE, UNIT, clean, out, unit_pk


def get_unit(tenant: str, item_id: str, serial: str) -> dict | None:
    found = dynamo.get(unit_pk(tenant, item_id, serial), UNIT)
    return out(found) if found else None


def unit_put(tenant: str, unit: dict, expected_version: int | None, error: Exception) -> dynamo.Step:
    record = {**unit, "PK": unit_pk(tenant, unit["item_id"], unit["serial"]), "SK": UNIT}
    if unit.get("location"):
        record |= {"GSI3PK": tenant_key(tenant, "UNITSAT", unit["location"]), "GSI3SK": f"{unit['item_id']}#{unit['serial'].upper()}"}
    held = Attr("PK").not_exists() if expected_version is None else Attr("version").eq(expected_version)
    return dynamo.put(clean(record), ConditionExpression=held), error


def units_at(tenant: str, location: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=("GSI3PK", tenant_key(tenant, "UNITSAT", location)), index="GSI3", limit=limit, cursor=cursor
    )
    return [out(i) for i in found], next_cursor


def unit_history(tenant: str, item_id: str, serial: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", unit_pk(tenant, item_id, serial)),
        sort=Key("SK").begins_with(MOVE + "#"),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [out(i) for i in found], next_cursor


def _move_pk(tenant: str, movement_id: str) -> str:
    return tenant_key(tenant, "SMOVE", movement_id)


def movement_writes(tenant: str, movement: dict) -> list[dynamo.Step]:
    """The movement's record, its ledger entry at each location it names, and the unit's history."""
    steps: list[dynamo.Step] = [
        (
            dynamo.put(
                clean({**movement, "PK": _move_pk(tenant, movement["id"]), "SK": MOVE}), ConditionExpression=Attr("PK").not_exists()
            ),
            None,
        )
    ]
    order = f"{movement['at']}#{movement['id']}"
    for side, location in (("out", movement.get("from_location")), ("in", movement.get("to_location"))):
        if location:
            entry = {**movement, "side": side, "PK": tenant_key(tenant, "SLEDGER", location), "SK": order}
            steps.append((dynamo.put(clean(entry)), None))
    if movement.get("serial"):
        entry = {**movement, "PK": unit_pk(tenant, movement["item_id"], movement["serial"]), "SK": f"{MOVE}#{order}"}
        steps.append((dynamo.put(clean(entry)), None))
    return steps


def reversal_mark(tenant: str, movement_id: str, reversal_id: str) -> dynamo.Step:
    """The reversed movement points at its counter-movement: once (a second reversal is a 409)."""
    return (
        dynamo.update(
            _move_pk(tenant, movement_id),
            MOVE,
            UpdateExpression="SET reversed_by = :r",
            ConditionExpression=Attr("PK").exists() & Attr("reversed_by").not_exists(),
            ExpressionAttributeValues={":r": reversal_id},
        ),
        Conflict(tr("this movement was already reversed")),
    )


def get_movement(tenant: str, movement_id: str) -> dict | None:
    found = dynamo.get(_move_pk(tenant, movement_id), MOVE)
    return out(found) if found else None


def ledger(
    tenant: str,
    location: str,
    *,
    since: str | None,
    until: str | None,
    item_id: str | None,
    reason: str | None,
    limit: int,
    before: str | None,
) -> tuple[list[dict], str | None]:
    """A location's movements, newest first, from before `before` (a ledger key); returns the page
    and the key to continue before, or None at the end."""
    high = min(b for b in (before, (until + "~") if until else None) if b) if (before or until) else None
    if since and high:
        sort = Key("SK").between(since, high)
    elif since:
        sort = Key("SK").gte(since)
    else:
        sort = Key("SK").lt(high) if high else None
    conditions = [c for c in (Attr("item_id").eq(item_id) if item_id else None, Attr("reason").eq(reason) if reason else None) if c]
    combined = conditions[0] & conditions[1] if len(conditions) == 2 else (conditions[0] if conditions else None)
    found, more = dynamo.query_page(
        tenant=tenant,
        query={},
        partition=("PK", tenant_key(tenant, "SLEDGER", location)),
        sort=sort,
        limit=limit + 1,
        newest_first=True,
        filter_expression=combined,
    )
    found = [i for i in found if i["SK"] != before]
    page = found[:limit]
    return [out(i) for i in page], (page[-1]["SK"] if page and (more or len(found) > limit) else None)


class AlreadyReceived(Conflict):
    """A receipt from this source (a purchase order line) was posted already."""


def receipt_marker(tenant: str, source: str) -> dynamo.Step:
    """Written with a receipt from another context's document line: the same line posts once."""
    item = {"PK": tenant_key(tenant, "SRECEIPT", source), "SK": "RECEIPT"}
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), AlreadyReceived(tr("this receipt was already posted"))
