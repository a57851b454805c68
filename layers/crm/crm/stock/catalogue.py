"""The catalogue: items per make and model (with part number), stock or equipment; makes and
models offered by prefix as the user types (case- and accent-insensitive, from index entries
written with the item, no Scan). Make, model, kind and unit name an item and never change."""

from __future__ import annotations

from decimal import Decimal

from crm.platform import clock, idempotency, ids
from crm.platform.errors import NotFound, invalid
from crm.platform.i18n import tr
from crm.platform.text import fold
from crm.stock import rules
from crm.stock.models import ItemFields, ItemPatch
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import catalogue as catalogue_repo
from crm.stock.repository import records

MAX_OFFERS = 20
SAVE_ATTEMPTS = 10


def item(tenant: str, item_id: str) -> dict:
    found = catalogue_repo.get_item(tenant, item_id)
    if found is None:
        raise NotFound(tr("no such item"))
    return found


def referenced(tenant: str, item_id: str, field: str = "item_id") -> dict:
    """An item named in a request body: unknown (or another tenant's) is a 422 on that field."""
    found = catalogue_repo.get_item(tenant, item_id)
    if found is None:
        raise invalid(field, tr("is not an item of this account's catalogue"))
    return found


def get_item(tenant: str, item_id: str) -> dict:
    """An item as a document line reads it (for finance): make, model, part number, description,
    unit, unit price, currency and tax rate. Raises NotFound."""
    found = item(tenant, item_id)
    keep = ("id", "kind", "make", "model", "part_number", "description", "unit", "unit_cost", "unit_price", "currency", "tax_rate")
    return {k: found.get(k) for k in keep}


def _levels(levels: dict | None) -> dict | None:
    return {k: v for k, v in levels.items() if v is not None} if levels else None


def _total(item: dict, stored: dict | None) -> dict:
    """The item's total (the company's own stock) with the item's reorder levels, at its next version."""
    on_hand, reserved = (
        (records.as_decimal(stored.get("on_hand")), records.as_decimal(stored.get("reserved"))) if stored else (Decimal(0), Decimal(0))
    )
    levels = item.get("reorder")
    return {
        "item_id": item["id"],
        "location": None,
        "make": item["make"],
        "model": item["model"],
        "part_number": item.get("part_number"),
        "unit": item["unit"],
        "on_hand": on_hand,
        "reserved": reserved,
        "reorder": levels,
        "low": rules.below_point(levels, on_hand, reserved),
        "version": (int(stored["version"]) if stored else 0) + 1,
    }


def create(tenant: str, fields: ItemFields) -> dict:
    data = fields.model_dump(mode="json")
    new = {**data, "id": ids.new_id(), "version": 1, "reorder": _levels(data.get("reorder")), "created_at": clock.iso(clock.now())}
    catalogue_repo.create_item(tenant, new, _total(new, None), idempotency.claim(new["id"]))
    return {k: v for k, v in new.items() if v is not None}


def update(tenant: str, item_id: str, patch: ItemPatch, expected_version: int) -> dict:
    changes = patch.model_dump(exclude_unset=True, mode="json")
    for name in ("unit_cost", "unit_price", "currency", "tax_rate"):
        if name in changes and changes[name] is None:
            raise invalid(name, tr("cannot be cleared"))
    if "reorder" in changes:
        changes["reorder"] = _levels(changes["reorder"])
    for _ in range(SAVE_ATTEMPTS):  # the total moves with every movement: read it again when one won the race
        old = item(tenant, item_id)
        if old["version"] != expected_version:
            raise catalogue_repo.stale_item()
        new = {**old, **changes, "version": old["version"] + 1}
        stored = balances_repo.balances(tenant, item_id, [None]).get(None)
        try:
            catalogue_repo.save_item(tenant, {k: v for k, v in new.items() if v is not None}, expected_version, _total(new, stored))
            return {k: v for k, v in new.items() if v is not None}
        except balances_repo.LostRace:
            continue
    raise balances_repo.busy_balance()


def find(tenant: str, make: str | None, q: str | None, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The catalogue in make and model order: with `make`, that make's items by model prefix `q`;
    without, items whose make starts with `q`."""
    prefix = f"{fold(make)}#{fold(q or '')}" if make else fold(q or "")
    return catalogue_repo.items(tenant, prefix, limit=limit, cursor=cursor, query={"items": prefix})


def makes(tenant: str, q: str | None) -> list[dict]:
    return catalogue_repo.makes(tenant, fold(q or ""), MAX_OFFERS)


def models(tenant: str, make: str, q: str | None) -> list[dict]:
    return catalogue_repo.models(tenant, make, fold(q or ""), MAX_OFFERS)


def whole_units(item: dict, amount: Decimal, field: str = "quantity") -> None:
    if item["unit"] == rules.COUNTED and not rules.whole(amount):
        raise invalid(field, tr("{make} {model} is counted in whole units", make=item["make"], model=item["model"]))
