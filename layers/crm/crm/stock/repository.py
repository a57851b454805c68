"""DynamoDB keys and writes of the stock context. The only module that knows these keys.

Items (every key starts with the tenant, through crm.platform.keys):
  item        PK=T#t#SITEM#<id>  SK=ITEM
              GSI1 T#t#SITEMS / <make>#<model>#<id>   the catalogue, by make and model (folded)
  total       PK=T#t#SITEM#<id>  SK=TOTAL   the company's own stock of the item (warehouses and vans)
  balance     PK=T#t#SITEM#<id>  SK=AT#<location>   on_hand, reserved at one location
              GSI3 T#t#STOCKAT#<location> / <make>#<model>#<id>   (while anything is there or reserved)
              total and balance: GSI2 T#t#REORDER / <make>#<model>#<id>#<location or *>  (sparse: only
              while the available quantity is at or below the reorder point; the reorder report)
  make        PK=T#t#SMAKES  SK=<folded make>            makes offered by prefix
  model       PK=T#t#SMODELS#<folded make>  SK=<folded model>  item_id (uniqueness; models by prefix)
  unit        PK=T#t#SUNIT#<item>#<serial>  SK=UNIT   an equipment unit: where it is, its status
              GSI3 T#t#UNITSAT#<location> / <item>#<serial>   (while it is somewhere)
  unit move   PK=T#t#SUNIT#<item>#<serial>  SK=MOVE#<at>#<movement>   the unit's history across sites
  movement    PK=T#t#SMOVE#<id>  SK=MOVE   the ledger's record (reversed_by set once)
  ledger      PK=T#t#SLEDGER#<location>  SK=<at>#<movement>   a location's movements, both directions
  part        PK=T#t#JOBPARTS#<job>  SK=PART#<id>   parts planned or used on a job
  settings    PK=T#t#SSETTINGS  SK=SETTINGS
  alert       PK=T#t#SALERTS  SK=ALERT#<occurrence>   each reorder alert run; SK=LAST: the last one's set
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.platform import dynamo
from crm.platform.errors import Conflict, PreconditionFailed, Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.platform.text import fold

ITEM, TOTAL, AT, UNIT, MOVE, PART = "ITEM", "TOTAL", "AT#", "UNIT", "MOVE", "PART#"
ALL = "*"  # the location of a total: every warehouse and van
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3, 4) for part in ("PK", "SK")}) | {"PK", "SK"}


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def _item_pk(tenant: str, item_id: str) -> str:
    return tenant_key(tenant, "SITEM", item_id)


def _order(item: dict) -> str:
    return f"{fold(item['make'])}#{fold(item['model'])}#{item['item_id'] if 'item_id' in item else item['id']}"


def _unit_pk(tenant: str, item_id: str, serial: str) -> str:
    return tenant_key(tenant, "SUNIT", item_id, serial.upper())


def _clean(item: dict) -> dict:
    """Ready for DynamoDB: Nones left out, numbers as Decimals (quantities have 3 places at most,
    so a Decimal's trip through float is exact)."""
    return json.loads(json.dumps({k: v for k, v in item.items() if v is not None}, default=float), parse_float=Decimal)


# ---------------------------------------------------------------- transactions on balances


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


# ---------------------------------------------------------------- the catalogue


def stale_item() -> PreconditionFailed:
    return PreconditionFailed(tr("the item changed since you read it; reload it and apply your change again"))


def create_item(tenant: str, item: dict, total: dict, claim: Sequence[dynamo.Step]) -> None:
    """The item, its total, and the make and model index entries (the model's is the make/model's
    uniqueness) in one transaction, with the request's idempotency claim first."""
    pk = _item_pk(tenant, item["id"])
    record = {**item, "PK": pk, "SK": ITEM, "GSI1PK": tenant_key(tenant, "SITEMS"), "GSI1SK": _order(item)}
    model = {"PK": tenant_key(tenant, "SMODELS", fold(item["make"])), "SK": fold(item["model"]), "make": item["make"]}
    steps: list[dynamo.Step] = [
        *claim,
        (dynamo.put(_clean(record), ConditionExpression=Attr("PK").not_exists()), Conflict(tr("an item with this id exists"))),
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
    record = {**item, "PK": _item_pk(tenant, item["id"]), "SK": ITEM, "GSI1PK": tenant_key(tenant, "SITEMS"), "GSI1SK": _order(item)}
    held = Attr("version").eq(expected_version)
    transact([(dynamo.put(_clean(record), ConditionExpression=held), stale_item()), balance_put(tenant, total, total["version"] - 1)])


def get_item(tenant: str, item_id: str) -> dict | None:
    found = dynamo.get(_item_pk(tenant, item_id), ITEM)
    return _out(found) if found else None


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
    return [_out(i) for i in found], next_cursor


def makes(tenant: str, prefix: str, limit: int) -> list[dict]:
    sort = Key("SK").begins_with(prefix) if prefix else None
    return [{"make": i["make"]} for i in dynamo.query_all(("PK", tenant_key(tenant, "SMAKES")), sort, limit=limit)]


def models(tenant: str, make: str, prefix: str, limit: int) -> list[dict]:
    sort = Key("SK").begins_with(prefix) if prefix else None
    found = dynamo.query_all(("PK", tenant_key(tenant, "SMODELS", fold(make))), sort, limit=limit)
    return [{"make": i["make"], "model": i["model"], "item_id": i["item_id"]} for i in found]


# ---------------------------------------------------------------- balances


def _balance_sk(location: str | None) -> str:
    return TOTAL if location is None else AT + location


def balances(tenant: str, item_id: str, locations: Sequence[str | None]) -> dict[str | None, dict]:
    """The balances of an item at these locations (None: its total), as stored (Decimals)."""
    pk = _item_pk(tenant, item_id)
    found = dynamo.batch_get([(pk, _balance_sk(loc)) for loc in locations])
    return {(None if i["SK"] == TOTAL else i["SK"][len(AT) :]): {k: v for k, v in i.items() if k not in INDEX_KEYS} for i in found}


def balance_put(tenant: str, balance: dict, expected_version: int | None) -> dynamo.Step:
    """A balance (or total) written at its new version, on condition it is still the one read
    (None: there was none). Error None: the caller reads again and retries on a lost race."""
    location = balance.get("location")
    record = {**balance, "PK": _item_pk(tenant, balance["item_id"]), "SK": _balance_sk(location)}
    if location is not None and (balance["on_hand"] != 0 or balance["reserved"] != 0):
        record |= {"GSI3PK": tenant_key(tenant, "STOCKAT", location), "GSI3SK": _order(balance)}
    if balance.get("low"):
        record |= {"GSI2PK": tenant_key(tenant, "REORDER"), "GSI2SK": f"{_order(balance)}#{location or ALL}"}
    record.pop("low", None)
    held = Attr("PK").not_exists() if expected_version is None else Attr("version").eq(expected_version)
    return dynamo.put(_clean(record), ConditionExpression=held), None


def balances_at(tenant: str, location: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI3PK", tenant_key(tenant, "STOCKAT", location)),
        index="GSI3",
        limit=limit,
        cursor=cursor,
    )
    return [_out(i) for i in found], next_cursor


def holds_any(tenant: str, location: str) -> bool:
    return bool(list(dynamo.query_all(("GSI3PK", tenant_key(tenant, "STOCKAT", location)), index="GSI3", limit=1)))


def balances_of_item(tenant: str, item_id: str) -> list[dict]:
    return [_out(i) for i in dynamo.query_all(("PK", _item_pk(tenant, item_id)), Key("SK").begins_with(AT))]


def low(tenant: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """The balances and totals at or below their reorder point: one Query of the sparse index."""
    found, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=("GSI2PK", tenant_key(tenant, "REORDER")), index="GSI2", limit=limit, cursor=cursor
    )
    return [_out(i) for i in found], next_cursor


# ---------------------------------------------------------------- equipment units


def get_unit(tenant: str, item_id: str, serial: str) -> dict | None:
    found = dynamo.get(_unit_pk(tenant, item_id, serial), UNIT)
    return _out(found) if found else None


def unit_put(tenant: str, unit: dict, expected_version: int | None, error: Exception) -> dynamo.Step:
    record = {**unit, "PK": _unit_pk(tenant, unit["item_id"], unit["serial"]), "SK": UNIT}
    if unit.get("location"):
        record |= {"GSI3PK": tenant_key(tenant, "UNITSAT", unit["location"]), "GSI3SK": f"{unit['item_id']}#{unit['serial'].upper()}"}
    held = Attr("PK").not_exists() if expected_version is None else Attr("version").eq(expected_version)
    return dynamo.put(_clean(record), ConditionExpression=held), error


def units_at(tenant: str, location: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=("GSI3PK", tenant_key(tenant, "UNITSAT", location)), index="GSI3", limit=limit, cursor=cursor
    )
    return [_out(i) for i in found], next_cursor


def unit_history(tenant: str, item_id: str, serial: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _unit_pk(tenant, item_id, serial)),
        sort=Key("SK").begins_with(MOVE + "#"),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [_out(i) for i in found], next_cursor


# ---------------------------------------------------------------- movements and the ledger


def _move_pk(tenant: str, movement_id: str) -> str:
    return tenant_key(tenant, "SMOVE", movement_id)


def movement_writes(tenant: str, movement: dict) -> list[dynamo.Step]:
    """The movement's record, its ledger entry at each location it names, and the unit's history."""
    steps: list[dynamo.Step] = [
        (
            dynamo.put(
                _clean({**movement, "PK": _move_pk(tenant, movement["id"]), "SK": MOVE}), ConditionExpression=Attr("PK").not_exists()
            ),
            None,
        )
    ]
    order = f"{movement['at']}#{movement['id']}"
    for side, location in (("out", movement.get("from_location")), ("in", movement.get("to_location"))):
        if location:
            entry = {**movement, "side": side, "PK": tenant_key(tenant, "SLEDGER", location), "SK": order}
            steps.append((dynamo.put(_clean(entry)), None))
    if movement.get("serial"):
        entry = {**movement, "PK": _unit_pk(tenant, movement["item_id"], movement["serial"]), "SK": f"{MOVE}#{order}"}
        steps.append((dynamo.put(_clean(entry)), None))
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
    return _out(found) if found else None


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
    return [_out(i) for i in page], (page[-1]["SK"] if page and (more or len(found) > limit) else None)


# ---------------------------------------------------------------- parts on jobs


def _parts_pk(tenant: str, job_id: str) -> str:
    return tenant_key(tenant, "JOBPARTS", job_id)


def parts(tenant: str, job_id: str) -> list[dict]:
    return [_out(i) for i in dynamo.query_all(("PK", _parts_pk(tenant, job_id)), Key("SK").begins_with(PART))]


def get_part(tenant: str, job_id: str, part_id: str) -> dict | None:
    found = dynamo.get(_parts_pk(tenant, job_id), PART + part_id)
    return _out(found) if found else None


def part_put(tenant: str, part: dict, expected_version: int | None) -> dynamo.Step:
    record = {**part, "PK": _parts_pk(tenant, part["job_id"]), "SK": PART + part["id"]}
    if expected_version is None:
        return dynamo.put(_clean(record), ConditionExpression=Attr("PK").not_exists()), Conflict(tr("a part with this id exists"))
    stale = PreconditionFailed(tr("the part changed since you read it; reload it"))
    return dynamo.put(_clean(record), ConditionExpression=Attr("version").eq(expected_version) & Attr("settled").not_exists()), stale


def part_delete(tenant: str, job_id: str, part_id: str, expected_version: int) -> dynamo.Step:
    stale = PreconditionFailed(tr("the part changed since you read it; reload it"))
    held = Attr("version").eq(expected_version) & Attr("settled").not_exists()
    return dynamo.delete(_parts_pk(tenant, job_id), PART + part_id, ConditionExpression=held), stale


def part_settled(tenant: str, part: dict, outcome: dict) -> dynamo.Step:
    """The part settled by the job's completion, once (`outcome`: its movement id, or that its
    reservation was released, or why it could not be posted): the same completion delivered
    twice moves nothing twice."""
    names = {f"#{k}": k for k in outcome}
    values = {f":{k}": v for k, v in outcome.items()} | {":one": 1}
    return (
        dynamo.update(
            _parts_pk(tenant, part["job_id"]),
            PART + part["id"],
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in outcome) + ", version = version + :one",
            ConditionExpression=Attr("PK").exists() & Attr("settled").not_exists(),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        ),
        AlreadyPosted(tr("this part was already posted")),
    )


class AlreadyPosted(Conflict):
    """A job part's movement was posted by an earlier delivery of the completion."""


# ---------------------------------------------------------------- settings and alerts


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "SSETTINGS")


def get_settings(tenant: str) -> dict | None:
    found = dynamo.get(_settings_pk(tenant), "SETTINGS")
    return _out(found) if found else None


def put_settings(tenant: str, settings: dict, expected_version: int) -> None:
    held = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("the stock settings changed since you read them; reload them first"))
    dynamo.put_one(_clean({**settings, "PK": _settings_pk(tenant), "SK": "SETTINGS"}), held, stale)


def _alerts_pk(tenant: str) -> str:
    return tenant_key(tenant, "SALERTS")


def last_alert(tenant: str) -> dict | None:
    found = dynamo.get(_alerts_pk(tenant), "LAST")
    return _out(found) if found else None


def alert_writes(tenant: str, alert: dict, low_keys: list[str]) -> list[dynamo.Step]:
    """The alert's record (once per occurrence) and the set of low lines it saw (the next alert's baseline)."""
    record = {**alert, "PK": _alerts_pk(tenant), "SK": "ALERT#" + alert["id"]}
    return [
        (dynamo.put(_clean(record), ConditionExpression=Attr("PK").not_exists()), AlreadyAlerted(tr("this alert already ran"))),
        (dynamo.put({"PK": _alerts_pk(tenant), "SK": "LAST", "id": alert["id"], "low": low_keys}), None),
    ]


class AlreadyAlerted(Conflict):
    """The occurrence's alert was recorded by an earlier delivery."""


def get_alert(tenant: str, alert_id: str) -> dict | None:
    found = dynamo.get(_alerts_pk(tenant), "ALERT#" + alert_id)
    return _out(found) if found else None


def alerts(tenant: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    found, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _alerts_pk(tenant)),
        sort=Key("SK").begins_with("ALERT#"),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [_out(i) for i in found], next_cursor


def as_decimal(value) -> Decimal:
    return Decimal(str(value or 0))


class AlreadyReceived(Conflict):
    """A receipt from this source (a purchase order line) was posted already."""


def receipt_marker(tenant: str, source: str) -> dynamo.Step:
    """Written with a receipt from another context's document line: the same line posts once."""
    item = {"PK": tenant_key(tenant, "SRECEIPT", source), "SK": "RECEIPT"}
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), AlreadyReceived(tr("this receipt was already posted"))
