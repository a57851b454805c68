"""Pydantic shapes of a job's money at the HTTP edge: the lines it charges, and what it costs
(labour, mileage) and earns."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from crm.platform.i18n import tr
from crm.platform.types import STRICT, Id, Text


def _positive(value: str) -> str:
    if Decimal(value) <= 0:
        raise ValueError(tr("must be more than 0"))
    return value


def _at_most(most: int):
    def check(value: str) -> str:
        if Decimal(value) > most:
            raise ValueError(tr("must be at most {most}", most=most))
        return value

    return check


Quantity = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,7}(\.[0-9]{1,3})?$"),
    AfterValidator(_positive),
    Field(description="A decimal string with up to 3 places, e.g. 1.5"),
]
Km = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,4}(\.[0-9])?$"),
    AfterValidator(_positive),
    AfterValidator(_at_most(5000)),
    Field(description="A decimal string with up to 1 place, e.g. 42.5"),
]
TaxRate = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3})?$"),
    AfterValidator(_at_most(100)),
    Field(description="A percentage as a decimal string, e.g. 20 or 5.5"),
]
NominalCode = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._-]+$")]
TaxRateCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
    Field(description="The code of one of the finance settings' tax rates (GET /finance/settings), e.g. S20"),
]


class ChargeLine(BaseModel):
    """A line the job charges: quantity x unit price (its net rounded half-up to the minor unit), and
    its tax as the code of a tax rate of the finance settings (`tax_rate_id`) or a percentage
    (`tax_rate`, matched to the one finance tax rate of that percentage when the job is invoiced)."""

    model_config = STRICT
    description: Text
    quantity: Quantity
    unit_price: int = Field(ge=0, le=10_000_000_000, description="Minor units of the account's currency")
    tax_rate_id: TaxRateCode | None = None
    tax_rate: TaxRate | None = None
    nominal_code: NominalCode | None = None
    stock_item_id: Id | None = None

    @model_validator(mode="after")
    def _one_tax(self):
        if (self.tax_rate_id is None) == (self.tax_rate is None):
            raise ValueError(tr("give either tax_rate_id or tax_rate"))
        return self


ChargeLines = Annotated[list[ChargeLine], Field(max_length=100)]


class ChargesFields(BaseModel):
    model_config = STRICT
    lines: ChargeLines


class PricedLine(BaseModel):
    description: str
    quantity: str
    unit_price: int
    net: int
    tax_rate_id: str | None = None
    tax_rate: str | None = None
    nominal_code: str | None = None
    stock_item_id: str | None = None


class Charges(BaseModel):
    job_id: str
    version: int = Field(description="The job's version: send it as If-Match to PUT the lines")
    currency: str
    lines: list[PricedLine]
    total: int = Field(description="The sum of the lines' nets")
    invoice_id: str | None = None


class LabourCost(BaseModel):
    resource_id: str
    minutes: int
    cost_rate: int
    cost: int
    from_log: bool = Field(description="Measured from the job log's time in progress, not entered")


class MileageCost(BaseModel):
    vehicle_id: str
    km: str
    mileage_rate: int
    cost: int


class MoneyTotals(BaseModel):
    charges: int
    labour_cost: int
    mileage_cost: int
    costs: int
    margin: int


class JobCosts(MoneyTotals):
    job_id: str
    reference: str
    status: str
    currency: str
    completed: bool = Field(description="false: the charges of the current lines, no costs yet")
    labour: list[LabourCost] = []
    mileage: list[MileageCost] = []
    invoice_id: str | None = None
    summary: str = Field(description="The figures as the reader reads them")
