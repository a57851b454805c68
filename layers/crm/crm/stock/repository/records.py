"""What every stock record shares: key parts, the sort order of the catalogue, and the
conversion of records to and from DynamoDB."""

from __future__ import annotations

import json
from decimal import Decimal

from crm.platform import dynamo
from crm.platform.keys import tenant_key
from crm.platform.text import fold

ITEM, TOTAL, AT, UNIT, MOVE, PART = "ITEM", "TOTAL", "AT#", "UNIT", "MOVE", "PART#"
ALL = "*"  # the location of a total: every warehouse and van
INDEX_KEYS = frozenset({f"GSI{n}{part}" for n in (1, 2, 3, 4) for part in ("PK", "SK")}) | {"PK", "SK"}


def out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in INDEX_KEYS})


def item_pk(tenant: str, item_id: str) -> str:
    return tenant_key(tenant, "SITEM", item_id)


def order(item: dict) -> str:
    return f"{fold(item['make'])}#{fold(item['model'])}#{item['item_id'] if 'item_id' in item else item['id']}"


def unit_pk(tenant: str, item_id: str, serial: str) -> str:
    return tenant_key(tenant, "SUNIT", item_id, serial.upper())


def clean(item: dict) -> dict:
    """Ready for DynamoDB: Nones left out, numbers as Decimals (quantities have 3 places at most,
    so a Decimal's trip through float is exact)."""
    return json.loads(json.dumps({k: v for k, v in item.items() if v is not None}, default=float), parse_float=Decimal)


def as_decimal(value) -> Decimal:
    return Decimal(str(value or 0))
