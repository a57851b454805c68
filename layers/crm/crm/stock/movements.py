"""The movement ledger: each movement and the balances it changes in one transaction
(crm.stock.balancing); an equipment unit moves only from where it is. A movement is never
edited: a counter-movement reverses it, once."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from crm.contacts import service as contacts
from crm.jobs import catalog as jobs_catalog
from crm.platform import clock, dynamo, idempotency, ids
from crm.platform.errors import Conflict, FieldError, NotFound, invalid, invalid_fields
from crm.platform.i18n import tr
from crm.stock import balancing, catalogue, rules
from crm.stock import settings as stock_settings
from crm.stock.models import MovementCreate
from crm.stock.repository import balances as balances_repo
from crm.stock.repository import movements as movements_repo
from crm.stock.repository import parts as parts_repo


def check_location(tenant: str, location: str, field: str) -> rules.Location:
    """A location named by a request: an existing contact or vehicle of the account, else a 422 on `field`."""
    where = rules.Location.parse(location)
    if where.kind == "contact":
        if contacts.lookup(tenant, where.id) is None:
            raise invalid(field, tr("is not a contact of this account"))
    else:
        jobs_catalog.referenced(tenant, "vehicle", where.id, field)
    return where


def set_levels(tenant: str, item_id: str, location: str, levels: dict | None) -> dict:
    """Give an item reorder levels of its own at one location (None: none); returns the balance there."""
    item = catalogue.item(tenant, item_id)
    check_location(tenant, location, "location")
    own = {k: v for k, v in levels.items() if v is not None} if levels else None
    balancing.apply(tenant, balancing.Change(item, levels={location: own}), list)
    return balances_repo.balances(tenant, item_id, [location])[location]


# ---------------------------------------------------------------- posting


def _unit_status(settings: dict, movement: dict) -> str:
    to, came_from = movement.get("to_location"), movement.get("from_location")
    if to is None:
        return "scrapped"
    if not balancing.held(settings, to):
        return "in_service"
    return "removed" if came_from and not balancing.held(settings, came_from) and came_from.startswith("contact:") else "in_stock"


def _unit_steps(tenant: str, settings: dict, item: dict, movement: dict, unit_fields: dict, restore: dict | None) -> list[dynamo.Step]:
    """The unit moved: from where it is (or into the books, once), with its status after; its
    previous state is kept on the movement so a reversal restores it."""
    serial, source = movement["serial"], movement.get("from_location")
    unit = movements_repo.get_unit(tenant, item["id"], serial)
    if source is None and unit is not None and unit.get("location"):
        raise Conflict(
            tr("serial {serial} is already at {location}", serial=serial, location=unit["location"]),
            [FieldError("serial", tr("already at {location}", location=unit["location"]))],
        )
    if source is not None and (unit is None or unit.get("location") != source):
        where = unit.get("location") if unit else None
        message = tr("serial {serial} is not at {location}", serial=serial, location=source)
        raise Conflict(message, [FieldError("serial", tr("is at {location}", location=where) if where else tr("is at no location"))])
    movement["unit_before"] = {k: unit.get(k) for k in ("status", "installed_on", "warranty_end")} if unit else None
    status = restore.get("status") if restore else _unit_status(settings, movement)
    new = {
        **(unit or {}),
        "item_id": item["id"],
        "serial": serial,
        "make": item["make"],
        "model": item["model"],
        "location": movement.get("to_location"),
        "status": status,
        "version": (unit["version"] if unit else 0) + 1,
    }
    if restore:
        new |= {k: restore.get(k) for k in ("installed_on", "warranty_end")}
    elif status == "in_service":
        new["installed_on"] = unit_fields.get("installed_on") or clock.now().date().isoformat()
    if unit_fields.get("warranty_end"):
        new["warranty_end"] = unit_fields["warranty_end"]
    moved_meanwhile = Conflict(tr("serial {serial} moved meanwhile; reload it", serial=serial))
    return [movements_repo.unit_put(tenant, new, unit["version"] if unit else None, moved_meanwhile)]


def amount_of(item: dict, quantity: float | None, serial: str | None) -> Decimal:
    if item["kind"] == "equipment":
        errors = []
        if serial is None:
            errors.append(FieldError("serial", tr("equipment moves one unit at a time, by serial")))
        if quantity not in (None, 1):
            errors.append(FieldError("quantity", tr("a unit moves by itself: leave out the quantity or send 1")))
        if errors:
            raise invalid_fields(errors)
        return Decimal(1)
    if serial is not None:
        raise invalid("serial", tr("only equipment has serial numbers"))
    if quantity is None:
        raise invalid("quantity", tr("is required for a stock item"))
    amount = rules.quantity(quantity)
    catalogue.whole_units(item, amount)
    return amount


def post(
    tenant: str,
    item: dict,
    *,
    amount: Decimal,
    serial: str | None,
    source: str | None,
    destination: str | None,
    reason: str,
    by: str,
    job_id: str | None = None,
    job_cost: dict | None = None,
    note: str | None = None,
    unit_fields: dict | None = None,
    reverses: dict | None = None,
    also: Sequence[dynamo.Step] = (),
    movement_id: str | None = None,
) -> dict:
    """Post one movement of `item` (a checked amount, or one unit by serial) with the balances it
    changes; `also`: the caller's steps in the same transaction (a claim first, a part marked posted);
    `job_cost` ({amount, currency}): what it adds to the parts cost of `job_id` (parts issued to
    the job; negative when they come back), recorded on the movement and added to the job's sum in
    its transaction."""
    settings = stock_settings.stored(tenant)
    movement_id = movement_id or ids.new_id()
    movement = {
        "id": movement_id,
        "item_id": item["id"],
        "kind": item["kind"],
        "quantity": amount,
        "serial": serial,
        "from_location": source,
        "to_location": destination,
        "reason": reason,
        "job_id": job_id,
        "job_cost": job_cost,
        "note": note,
        "by": by,
        "at": clock.iso(clock.now()),
        "reverses": reverses["id"] if reverses else None,
    }
    change = balancing.Change(item)
    for location, delta in ((source, -amount), (destination, amount)):
        if location:
            change.on_hand[location] = change.on_hand.get(location, Decimal(0)) + delta

    def steps() -> list[dynamo.Step]:
        restore = reverses.get("unit_before") if reverses else None
        unit = _unit_steps(tenant, settings, item, movement, unit_fields or {}, restore) if serial else []
        marked = [movements_repo.reversal_mark(tenant, reverses["id"], movement_id)] if reverses else []
        if job_id and job_cost:
            marked.append(parts_repo.job_cost_added(tenant, job_id, job_cost["currency"], job_cost["amount"]))
        # The request's idempotency claim first: when it fails, its answer is the first attempt's movement.
        return [*idempotency.claim(movement_id), *also, *marked, *movements_repo.movement_writes(tenant, movement), *unit]

    balancing.apply(tenant, change, steps, settings)
    return {k: v for k, v in movement.items() if v is not None and k != "unit_before"}


def create(tenant: str, user_id: str, body: MovementCreate) -> dict:
    """A movement posted from the back office (purchase receipt, adjustment, transfer, return)."""
    errors = []
    if body.from_location is None and body.to_location is None:
        errors.append(FieldError("to_location", tr("a movement needs a from_location, a to_location or both")))
    if body.from_location and body.from_location == body.to_location:
        errors.append(FieldError("to_location", tr("must differ from from_location")))
    needs = {"purchase_receipt": ("to_location",), "transfer": ("from_location", "to_location"), "return": ("from_location", "to_location")}
    for name in needs.get(body.reason, ()):
        if getattr(body, name) is None:
            errors.append(FieldError(name, tr("is required for a {reason}", reason=body.reason)))
    if body.reason == "purchase_receipt" and body.from_location:
        errors.append(FieldError("from_location", tr("a purchase receipt enters the books: leave it out")))
    if body.reason == "adjustment" and body.from_location and body.to_location:
        errors.append(FieldError("to_location", tr("an adjustment names one location: from_location to take out, to_location to add")))
    if errors:
        raise invalid_fields(errors)
    item = catalogue.referenced(tenant, body.item_id)
    amount = amount_of(item, body.quantity, body.serial)
    for name in ("from_location", "to_location"):
        if getattr(body, name):
            check_location(tenant, getattr(body, name), name)
    unit_fields = {k: v for k, v in body.model_dump(mode="json", include={"installed_on", "warranty_end"}).items() if v}
    return post(
        tenant,
        item,
        amount=amount,
        serial=body.serial,
        source=body.from_location,
        destination=body.to_location,
        reason=body.reason,
        by=user_id,
        note=body.note,
        unit_fields=unit_fields,
    )


def get(tenant: str, movement_id: str) -> dict:
    found = movements_repo.get_movement(tenant, movement_id)
    if found is None:
        raise NotFound(tr("no such movement"))
    return {k: v for k, v in found.items() if k not in ("unit_before",)}


def reverse(tenant: str, user_id: str, movement_id: str, note: str | None) -> dict:
    """The counter-movement of a movement: the same item and quantity (or unit) back from where it
    went to where it came from, pointing at it; a movement is reversed once (409)."""
    original = movements_repo.get_movement(tenant, movement_id)
    if original is None:
        raise invalid("movement_id", tr("is not a movement of this account"))
    if original.get("reversed_by"):
        raise Conflict(tr("this movement was already reversed"))
    item = catalogue.item(tenant, original["item_id"])
    return post(
        tenant,
        item,
        amount=rules.quantity(original["quantity"]),
        serial=original.get("serial"),
        source=original.get("to_location"),
        destination=original.get("from_location"),
        reason=original["reason"],
        by=user_id,
        job_id=original.get("job_id"),
        job_cost=_returned(original.get("job_cost")),
        note=note,
        reverses=original,
    )


def _returned(job_cost: dict | None) -> dict | None:
    """What reversing a movement takes off its job's parts cost: what it added (at the cost price of then)."""
    return {"amount": -int(job_cost["amount"]), "currency": job_cost["currency"]} if job_cost else None


def receive(tenant: str, *, item_id: str, quantity: float | int | Decimal, location: str, by: str, source: str) -> dict | None:
    """Stock received into `location` from outside (for finance: a delivered purchase order line),
    once per `source` (e.g. "PO-000012#3"): a second call with the same source moves nothing and
    answers None. Raises Invalid for an unknown item or location, or a bad quantity."""
    item = catalogue.referenced(tenant, item_id)
    amount = amount_of(item, float(quantity), None)
    check_location(tenant, location, "location")
    try:
        return post(
            tenant,
            item,
            amount=amount,
            serial=None,
            source=None,
            destination=location,
            reason="purchase_receipt",
            by=by,
            note=source,
            also=[movements_repo.receipt_marker(tenant, source)],
        )
    except movements_repo.AlreadyReceived:
        return None
