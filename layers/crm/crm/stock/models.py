"""Pydantic shapes of the stock context at the HTTP edge (inputs strict, outputs explicit)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from crm.platform.i18n import tr
from crm.platform.types import STRICT, Currency, Email, Id, IsoDate, LongText, Text, TimeZone

Kind = Literal["stock", "equipment"]
Unit = Literal["unit", "m", "m2", "kg", "l"]
# Make and model name an item (its identity, with part number): '#' is refused, it separates keys.
Name = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^#]+$")]
Serial = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^#\s]+$")]
LocationRef = Annotated[
    str,
    StringConstraints(pattern=r"^(contact|vehicle):[0-9A-HJKMNP-TV-Z]{26}$"),
    Field(description="contact:<contact id> (warehouse, supplier, customer site) or vehicle:<vehicle id> (a van)"),
]
Quantity = Annotated[float, Field(gt=0, le=1_000_000, multiple_of=0.001)]
Level = Annotated[float, Field(ge=0, le=1_000_000, multiple_of=0.001)]
Money = Annotated[int, Field(ge=0, le=10**12, description="integer minor units of `currency`")]
TaxRate = Annotated[str, StringConstraints(pattern=r"^\d{1,2}(\.\d{1,3})?$"), Field(description="percent as a decimal string, e.g. 20.0")]
MovementReason = Literal["purchase_receipt", "adjustment", "transfer", "return"]
UnitStatus = Literal["in_stock", "in_service", "removed", "scrapped"]


class ReorderLevels(BaseModel):
    model_config = STRICT
    point: Level = Field(description="reorder when the available quantity is at or below this")
    quantity: Quantity | None = Field(default=None, description="the usual quantity to order")
    maximum: Quantity | None = Field(default=None, description="the level to fill up to")
    pack_size: Quantity | None = Field(default=None, description="the supplier's pack: suggestions are rounded up to it")

    @model_validator(mode="after")
    def _some_quantity(self):
        if self.quantity is None and self.maximum is None:
            raise ValueError(tr("give a reorder quantity or a maximum level (or both)"))
        return self


class ItemFields(BaseModel):
    model_config = STRICT
    kind: Kind
    make: Name
    model: Name
    part_number: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    description: LongText | None = None
    unit: Unit = "unit"
    unit_cost: Money = 0
    unit_price: Money = 0
    currency: Currency = "EUR"
    tax_rate: TaxRate = "20.0"
    reorder: ReorderLevels | None = None

    @model_validator(mode="after")
    def _equipment_counted(self):
        if self.kind == "equipment" and self.unit != "unit":
            raise ValueError(tr("equipment is counted in units: its unit must be 'unit'"))
        return self


class ItemPatch(BaseModel):
    """A merge patch: kind, make, model and unit name the item and stay (a different make/model is another item)."""

    model_config = STRICT
    part_number: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    description: LongText | None = None
    unit_cost: Money | None = None
    unit_price: Money | None = None
    currency: Currency | None = None
    tax_rate: TaxRate | None = None
    reorder: ReorderLevels | None = None


class Item(BaseModel):
    id: str
    version: int
    kind: Kind
    make: str
    model: str
    part_number: str | None = None
    description: str | None = None
    unit: str
    unit_cost: int
    unit_price: int
    currency: str
    tax_rate: str
    reorder: dict | None = None
    created_at: str


class LocationLevels(BaseModel):
    """Reorder levels of an item at one location (a van's own minimum, a warehouse's), besides the item's company-wide ones."""

    model_config = STRICT
    location: LocationRef
    reorder: ReorderLevels | None = Field(description="null: the location has no levels of its own")


class MakeOffer(BaseModel):
    make: str


class ModelOffer(BaseModel):
    make: str
    model: str
    item_id: str


class Balance(BaseModel):
    item_id: str
    location: str
    make: str
    model: str
    part_number: str | None = None
    unit: str
    on_hand: float
    reserved: float
    available: float
    reorder: dict | None = None


class MovementCreate(BaseModel):
    """One item moving: a quantity, or one equipment unit by serial. No `from_location`: it enters
    the books (a purchase receipt, a positive adjustment); no `to_location`: it leaves them."""

    model_config = STRICT
    item_id: Id
    quantity: Quantity | None = Field(default=None, description="required for stock items; 1 (or left out) with a serial")
    serial: Serial | None = Field(default=None, description="equipment: the unit that moves")
    from_location: LocationRef | None = None
    to_location: LocationRef | None = None
    reason: MovementReason
    note: Text | None = None
    installed_on: IsoDate | None = None
    warranty_end: IsoDate | None = None


class Reversal(BaseModel):
    model_config = STRICT
    movement_id: Id = Field(description="the movement to reverse")
    note: Text | None = None


class Movement(BaseModel):
    id: str
    item_id: str
    kind: Kind
    quantity: float
    serial: str | None = None
    from_location: str | None = None
    to_location: str | None = None
    reason: str
    job_id: str | None = None
    note: str | None = None
    by: str = Field(description="the user id who posted it (a job's completion: the technician's)")
    at: str
    reverses: str | None = None
    reversed_by: str | None = None


class EquipmentUnit(BaseModel):
    item_id: str
    serial: str
    make: str
    model: str
    location: str | None = None
    status: UnitStatus
    installed_on: str | None = None
    warranty_end: str | None = None
    version: int


class PartCreate(BaseModel):
    """A part on a job: planned (reserved at its location), used (fitted), or an equipment unit installed or removed by serial."""

    model_config = STRICT
    kind: Literal["planned", "used", "installed", "removed"]
    item_id: Id
    quantity: Quantity | None = None
    serial: Serial | None = None
    location: LocationRef | None = Field(default=None, description="where it comes from (removed: where it goes); default: the job's van")


class Part(BaseModel):
    id: str
    job_id: str
    version: int
    kind: str
    item_id: str
    make: str
    model: str
    quantity: float
    serial: str | None = None
    location: str
    by: str
    at: str
    movement_id: str | None = Field(default=None, description="the movement posted when the job was completed")


class StockSettingsPatch(BaseModel):
    model_config = STRICT
    allow_negative: bool | None = None
    warehouses: (
        Annotated[list[Id], Field(max_length=50, description="contacts whose stock is the company's own (vans always are)")] | None
    ) = None
    alert_time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    alert_timezone: TimeZone | None = None
    alert_recipients: Annotated[list[Email], Field(max_length=20)] | None = None


class StockSettings(BaseModel):
    version: int
    allow_negative: bool = False
    warehouses: list[str] = []
    alert_time: str | None = None
    alert_timezone: str | None = None
    alert_recipients: list[str] = []
    next_alerts: list[str] = Field(default=[], description="the reorder alert's next 12 runs, in its time zone")


class ReorderLine(BaseModel):
    item_id: str
    location: str | None = Field(default=None, description="none: the company's own stock, every warehouse and van together")
    make: str
    model: str
    part_number: str | None = None
    unit: str
    on_hand: float
    reserved: float
    available: float
    reorder_point: float
    suggested_quantity: float


class Alert(BaseModel):
    id: str
    at: str
    status: Literal["sent", "nothing_new", "recorded_without_email"]
    items: list[ReorderLine] = Field(
        description="the lines that newly crossed their reorder point (who was emailed: the archive, GET /emails)"
    )
    report_url: str
