"""What the stock tab of a contact (or a van) lists: its balances, its equipment units with their
history, and its movements (newest first, filtered, a parent's with its children's)."""

from __future__ import annotations

from datetime import datetime

from crm.contacts import service as contacts
from crm.jobs import catalog as jobs_catalog
from crm.platform import clock, dynamo, pagination
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, NotFound, invalid
from crm.platform.i18n import tr
from crm.stock import catalogue, movements, reorder
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import movements as movements_repo

MAX_FAMILY = 100  # a parent's children merged into one list of movements, besides itself


def _location(principal: Principal, kind: str, location_id: str) -> str:
    if kind == "contact":
        contacts.get(principal.tenant, location_id)
    else:
        jobs_catalog.member(principal.tenant, "vehicle", location_id)
    return f"{kind}:{location_id}"


def _balance(b: dict) -> dict:
    row = reorder.line({**b, "reorder": b.get("reorder") or {"point": 0}})
    return {**row, "reorder": b.get("reorder")}


def stock_at(principal: Principal, kind: str, location_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    location = _location(principal, kind, location_id)
    found, next_cursor = balances_repo.balances_at(principal.tenant, location, limit=limit, cursor=cursor, query={"stock": location})
    return [_balance(b) for b in found], next_cursor


def item_balances(tenant: str, item_id: str) -> list[dict]:
    """The item's balance at every location holding or expecting some, or with levels of its own."""
    catalogue.item(tenant, item_id)
    return [_balance(b) for b in balances_repo.balances_of_item(tenant, item_id) if b["on_hand"] or b["reserved"] or b.get("reorder")]


def set_levels(tenant: str, item_id: str, location: str, levels: dict | None) -> dict:
    return _balance(dynamo.from_item(movements.set_levels(tenant, item_id, location, levels)))


def equipment_at(principal: Principal, contact_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    location = _location(principal, "contact", contact_id)
    return movements_repo.units_at(principal.tenant, location, limit=limit, cursor=cursor, query={"units": location})


def unit(tenant: str, item_id: str, serial: str) -> dict:
    found = movements_repo.get_unit(tenant, item_id, serial)
    if found is None:
        raise NotFound(tr("no such unit"))
    return found


def unit_history(tenant: str, item_id: str, serial: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The unit's movements across sites, newest first."""
    unit(tenant, item_id, serial)
    found, next_cursor = movements_repo.unit_history(
        tenant, item_id, serial, limit=limit, cursor=cursor, query={"unit": f"{item_id}#{serial}"}
    )
    return [_movement(m) for m in found], next_cursor


def _movement(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in ("side", "unit_before")}


def movements_at(
    principal: Principal,
    contact_id: str,
    *,
    include: str | None,
    item_id: str | None,
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict], str | None]:
    """A contact's movements (in and out), newest first; with include=children its child
    contacts' too, merged (one Query per contact per page, as the site's job log)."""
    low, high = (clock.iso(m) if m is not None else None for m in (since, until))
    if low and high and high < low:
        raise invalid("until", tr("must not be before since"))
    tenant = principal.tenant
    contacts.get(tenant, contact_id)
    family = [contact_id]
    if include == "children":
        found, _ = contacts.find(principal, q=None, reference=None, group_id=None, parent_id=contact_id, limit=MAX_FAMILY + 1, cursor=None)
        if len(found) > MAX_FAMILY:
            raise Conflict(tr("more than {most} associated contacts; read their movements one by one", most=MAX_FAMILY))
        family += [c["id"] for c in found]
    query = {"movements": contact_id, "include": include, "item": item_id, "reason": reason, "since": low, "until": high}
    before = (pagination.decode(cursor, tenant, query) or {}).get("before")
    merged, more = [], False
    for member in dict.fromkeys(family):
        rows, next_before = movements_repo.ledger(
            tenant, f"contact:{member}", since=low, until=high, item_id=item_id, reason=reason, limit=limit, before=before
        )
        merged += rows
        more = more or next_before is not None
    # A transfer between two of the family is in both ledgers: listed once.
    merged = sorted({m["id"]: m for m in merged}.values(), key=lambda m: (m["at"], m["id"]), reverse=True)
    page = merged[:limit]
    more = more or len(merged) > limit
    position = {"before": f"{page[-1]['at']}#{page[-1]['id']}"} if more and page else None
    return [_movement(m) for m in page], pagination.encode(position, tenant, query)
