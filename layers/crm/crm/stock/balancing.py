"""What a write does to an item's balances (a `Change`: on hand and reserved per location, a
location's own reorder levels), and writing it: each balance and the item's total conditional on
the version read, never below zero unless the tenant allows negative stock, the contacts' counts of
stock held there moved with them, all in one transaction with the caller's steps; a lost race reads
again and retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crm.contacts import dependents
from crm.platform import dynamo
from crm.platform.errors import Conflict, FieldError
from crm.platform.i18n import tr
from crm.stock import rules
from crm.stock import settings as stock_settings
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import records

ATTEMPTS = 40  # lost races on one balance before a 503 (20 movements at once on one balance all land)


def held(settings: dict, location: str | None) -> bool:
    """Whether stock at `location` is the company's own (a van, or a contact set as a warehouse)."""
    if location is None:
        return False
    where = rules.Location.parse(location)
    return where.kind == "vehicle" or where.id in settings.get("warehouses", [])


@dataclass
class Change:
    """What a write does to an item's balances: deltas per location (on hand, reserved)."""

    item: dict
    on_hand: dict[str, Decimal] = field(default_factory=dict)
    reserved: dict[str, Decimal] = field(default_factory=dict)
    levels: dict[str, dict | None] = field(default_factory=dict)  # a location's own reorder levels, set


def _balance(item: dict, location: str | None, stored: dict | None) -> dict:
    base = {
        "item_id": item["id"],
        "location": location,
        "make": item["make"],
        "model": item["model"],
        "part_number": item.get("part_number"),
        "unit": item["unit"],
        "on_hand": Decimal(0),
        "reserved": Decimal(0),
        "version": 0,
    }
    if stored:
        base |= {"on_hand": records.as_decimal(stored.get("on_hand")), "reserved": records.as_decimal(stored.get("reserved"))}
        base |= {"version": int(stored["version"]), "reorder": stored.get("reorder")}
    if location is None:
        base["reorder"] = item.get("reorder")
    return base


def _short(item: dict, location: str, quantity: Decimal) -> Conflict:
    on_hand = rules.shown(quantity)
    error = FieldError("quantity", tr("{on_hand} on hand at {location}", on_hand=on_hand, location=location))
    return Conflict(
        tr(
            "not enough {make} {model} at {location}: {on_hand} on hand",
            make=item["make"],
            model=item["model"],
            location=location,
            on_hand=str(on_hand),
        ),
        [error],
    )


def _balance_steps(tenant: str, settings: dict, change: Change) -> list[dynamo.Step]:
    """Read the balances the change moves (and the item's total), check them, and give the
    conditional writes of their new values, with the contacts' counts of stock held there."""
    locations = sorted(set(change.on_hand) | set(change.reserved) | set(change.levels))
    stored = balances_repo.balances(tenant, change.item["id"], [*locations, None])
    allow_negative = bool(settings.get("allow_negative"))
    steps: list[dynamo.Step] = []
    total = _balance(change.item, None, stored.get(None))
    total_moved = False
    for location in locations:
        old = _balance(change.item, location, stored.get(location))
        d_on_hand, d_reserved = change.on_hand.get(location, Decimal(0)), change.reserved.get(location, Decimal(0))
        on_hand = rules.after(old["on_hand"], d_on_hand, allow_negative)
        if on_hand is None:
            raise _short(change.item, location, old["on_hand"])
        reserved = max(old["reserved"] + d_reserved, Decimal(0))
        new = {**old, "on_hand": on_hand, "reserved": reserved, "version": old["version"] + 1}
        if location in change.levels:
            new["reorder"] = change.levels[location]
        new["low"] = rules.below_point(new.get("reorder"), on_hand, reserved)
        steps.append(balances_repo.balance_put(tenant, new, old["version"] or None))
        if held(settings, location):
            total["on_hand"] += on_hand - old["on_hand"]
            total["reserved"] += reserved - old["reserved"]
            total_moved = True
        where = rules.Location.parse(location)
        if where.kind == "contact" and (old["on_hand"] == 0) != (on_hand == 0):
            steps += dependents.filed(tenant, where.id, "stock", +1 if on_hand != 0 else -1)
    if total_moved:
        version = total["version"]
        total |= {"version": version + 1, "low": rules.below_point(total.get("reorder"), total["on_hand"], total["reserved"])}
        steps.append(balances_repo.balance_put(tenant, total, version or None))
    return steps


def apply(tenant: str, change: Change, also: Callable[[], Sequence[dynamo.Step]], settings: dict | None = None) -> None:
    """Write `change` with the steps `also()` gives, all or nothing; a lost race on a balance reads
    it again (with jitter) and retries. `settings`: the stock settings, when the caller read them."""
    settings = settings if settings is not None else stock_settings.stored(tenant)
    for attempt in range(ATTEMPTS):
        steps = [*also(), *_balance_steps(tenant, settings, change)]
        try:
            balances_repo.transact(steps)
            return
        except balances_repo.LostRace:
            time.sleep(random.uniform(0, 0.005 * min(attempt + 1, 10)))  # noqa: S311 - jitter, not a secret
    raise balances_repo.busy_balance()
