"""Stock API: the catalogue (makes and models offered by prefix), balances per location, the
movement ledger and its counter-movements, equipment units, parts on jobs, the reorder report,
the stock settings (with the daily reorder alert) and the alerts it recorded.

Each route parses, authorises (its roles) and makes one call into the crm layer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from crm.contacts.readers import reader_locale
from crm.platform import settings
from crm.platform.auth import ADMINS, STAFF, STAFF_AND_RESOURCES
from crm.platform.files import FileLink
from crm.platform.http import Api, respond
from crm.platform.pagination import DEFAULT_LIMIT, Page
from crm.platform.types import AwareDatetime, Limit
from crm.stock import alerts, catalogue, movements, parts, reorder, views
from crm.stock import settings as stock_settings
from crm.stock.models import (
    Alert,
    Balance,
    EquipmentUnit,
    Item,
    ItemFields,
    ItemPatch,
    LocationLevels,
    MakeOffer,
    ModelOffer,
    Movement,
    MovementCreate,
    MovementReason,
    Part,
    PartCreate,
    ReorderLine,
    Reversal,
    StockSettings,
    StockSettingsPatch,
)

settings.require(
    settings.TABLE_NAME,
    settings.IDEMPOTENCY_TABLE,
    settings.CURSOR_KEYS_PARAMETER,
    settings.ATTACHMENTS_BUCKET,
    settings.STOCK_ALERTS_FUNCTION_ARN,
    settings.SCHEDULER_ROLE_ARN,
    settings.SCHEDULE_GROUP,
    settings.SCHEDULES_DLQ_ARN,
)
api = Api("stock", reader_locale=reader_locale)
app = api.app
Cursor = Annotated[str | None, Query(max_length=4096)]
Prefix = Annotated[str | None, Query(max_length=80)]
NOT_ENOUGH = "not enough of the item at the location it leaves (the problem names what is on hand), or a serial not where it is said to be"


def _tenant() -> str:
    return api.principal().tenant


# ---------------------------------------------------------------- the catalogue


@api.route("GET", "/stock/items", roles=STAFF_AND_RESOURCES)
def list_items(
    make: Prefix = None, q: Prefix = None, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[Item]:
    items, next_cursor = catalogue.find(_tenant(), make, q, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route(
    "POST",
    "/stock/items",
    roles=STAFF,
    returns=Item,
    location="/stock/items/{item_id}",
    conflicts=("this make and model is in the catalogue already",),
)
def create_item(body: ItemFields):
    created = catalogue.create(_tenant(), body)
    return respond(Item.model_validate(created), 201, created["version"])


@api.route("GET", "/stock/items/{item_id}", roles=STAFF_AND_RESOURCES, returns=Item)
def get_item(item_id: str):
    found = catalogue.item(_tenant(), item_id)
    return respond(Item.model_validate(found), version=found["version"])


@api.route("PATCH", "/stock/items/{item_id}", roles=STAFF, returns=Item, if_match="required")
def update_item(item_id: str, body: ItemPatch):
    updated = catalogue.update(_tenant(), item_id, body, api.version())
    return respond(Item.model_validate(updated), version=updated["version"])


@api.route("GET", "/stock/items/{item_id}/balances", roles=STAFF_AND_RESOURCES)
def item_balances(item_id: str) -> Page[Balance]:
    return Page(items=views.item_balances(_tenant(), item_id))


@api.route("PUT", "/stock/items/{item_id}/levels", roles=STAFF, returns=Balance)
def set_location_levels(item_id: str, body: LocationLevels):
    """Set (or clear) the item's reorder levels at one location."""
    balance = views.set_levels(_tenant(), item_id, body.location, body.model_dump(mode="json")["reorder"])
    return respond(Balance.model_validate(balance))


@api.route("GET", "/stock/makes", roles=STAFF_AND_RESOURCES)
def list_makes(q: Prefix = None) -> Page[MakeOffer]:
    return Page(items=catalogue.makes(_tenant(), q))


@api.route("GET", "/stock/models", roles=STAFF_AND_RESOURCES)
def list_models(make: Annotated[str, Query(min_length=1, max_length=80)], q: Prefix = None) -> Page[ModelOffer]:
    return Page(items=catalogue.models(_tenant(), make, q))


# ---------------------------------------------------------------- movements and units


@api.route(
    "POST",
    "/stock/movements",
    roles=STAFF,
    returns=Movement,
    location="/stock/movements/{movement_id}",
    conflicts=(NOT_ENOUGH, "the serial is already at a location"),
)
def create_movement(body: MovementCreate):
    moved = movements.create(_tenant(), api.principal().user_id, body)
    return respond(Movement.model_validate(moved), 201)


@api.route("GET", "/stock/movements/{movement_id}", roles=STAFF, returns=Movement)
def get_movement(movement_id: str):
    return respond(Movement.model_validate(movements.get(_tenant(), movement_id)))


@api.route(
    "POST",
    "/stock/reversals",
    roles=STAFF,
    returns=Movement,
    location="/stock/movements/{movement_id}",
    conflicts=("the movement was reversed already", NOT_ENOUGH),
)
def reverse_movement(body: Reversal):
    """Post the counter-movement of a movement (once: a movement is reversed at most once)."""
    moved = movements.reverse(_tenant(), api.principal().user_id, body.movement_id, body.note)
    return respond(Movement.model_validate(moved), 201)


@api.route("GET", "/stock/items/{item_id}/units/{serial}", roles=STAFF_AND_RESOURCES, returns=EquipmentUnit)
def get_unit(item_id: str, serial: str):
    found = views.unit(_tenant(), item_id, serial)
    return respond(EquipmentUnit.model_validate(found), version=found["version"])


@api.route("GET", "/stock/items/{item_id}/units/{serial}/movements", roles=STAFF)
def unit_history(item_id: str, serial: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Movement]:
    items, next_cursor = views.unit_history(_tenant(), item_id, serial, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# ---------------------------------------------------------------- a contact's (or a van's) stock tab


@api.route("GET", "/contacts/{contact_id}/stock", roles=STAFF)
def contact_stock(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Balance]:
    items, next_cursor = views.stock_at(api.principal(), "contact", contact_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/vehicles/{vehicle_id}/stock", roles=STAFF_AND_RESOURCES)
def vehicle_stock(vehicle_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Balance]:
    items, next_cursor = views.stock_at(api.principal(), "vehicle", vehicle_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/contacts/{contact_id}/equipment", roles=STAFF_AND_RESOURCES)
def contact_equipment(contact_id: str, limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[EquipmentUnit]:
    items, next_cursor = views.equipment_at(api.principal(), contact_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/contacts/{contact_id}/movements", roles=STAFF, conflicts=("more associated contacts than one list merges",))
def contact_movements(
    contact_id: str,
    include: Annotated[Literal["children"] | None, Query(description="children: the contact's child contacts too")] = None,
    item_id: Annotated[str | None, Query(max_length=26)] = None,
    reason: Annotated[MovementReason | Literal["job"] | None, Query()] = None,
    since: Annotated[AwareDatetime | None, Query()] = None,
    until: Annotated[AwareDatetime | None, Query()] = None,
    limit: Annotated[Limit, Query()] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Movement]:
    items, next_cursor = views.movements_at(
        api.principal(),
        contact_id,
        include=include,
        item_id=item_id,
        reason=reason,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)


# ---------------------------------------------------------------- parts on jobs


@api.route("GET", "/jobs/{job_id}/parts", roles=STAFF_AND_RESOURCES)
def list_parts(job_id: str) -> Page[Part]:
    return Page(items=parts.listed(api.principal(), job_id))


@api.route(
    "POST",
    "/jobs/{job_id}/parts",
    roles=STAFF_AND_RESOURCES,
    returns=Part,
    location="/jobs/{job_id}/parts/{part_id}",
    conflicts=("the job is closed", NOT_ENOUGH),
)
def add_part(job_id: str, body: PartCreate):
    part = parts.add(api.principal(), job_id, body)
    return respond(Part.model_validate(part), 201, part["version"])


@api.route("GET", "/jobs/{job_id}/parts/{part_id}", roles=STAFF_AND_RESOURCES, returns=Part)
def get_part(job_id: str, part_id: str):
    part = parts.get(api.principal(), job_id, part_id)
    return respond(Part.model_validate(part), version=part["version"])


@api.route("DELETE", "/jobs/{job_id}/parts/{part_id}", roles=STAFF_AND_RESOURCES, if_match="required", conflicts=("the job is closed",))
def remove_part(job_id: str, part_id: str):
    parts.remove(api.principal(), job_id, part_id, api.version())
    return respond(None, 204)


# ---------------------------------------------------------------- reorder report, settings, alerts


@api.route("GET", "/stock/reorder-report", roles=STAFF)
def reorder_report(limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ReorderLine]:
    items, next_cursor = reorder.page(_tenant(), limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@api.route("GET", "/stock/reorder-report/export", roles=STAFF, returns=FileLink)
def export_reorder_report(format: Annotated[Literal["csv", "xlsx"], Query()]):
    """The whole reorder report as a CSV or XLSX file, in the caller's language: a download link."""
    return reorder.export_for(api.principal(), format)


@api.route("GET", "/stock/settings", roles=STAFF, returns=StockSettings)
def get_settings():
    current = stock_settings.get(_tenant())
    return respond(current, version=current.version)


@api.route(
    "PATCH",
    "/stock/settings",
    roles=ADMINS,
    returns=StockSettings,
    if_match="required",
    conflicts=("a contact holding stock cannot change whether it is a warehouse",),
)
def update_settings(body: StockSettingsPatch):
    current = stock_settings.update(_tenant(), body, api.version())
    return respond(current, version=current.version)


@api.route("GET", "/stock/alerts", roles=STAFF)
def list_alerts(limit: Annotated[Limit, Query()] = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Alert]:
    items, next_cursor = alerts.listed(_tenant(), limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


handler = api.handler()
