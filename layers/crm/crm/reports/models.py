"""What the reports API answers, and what a subscription holds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from crm.platform.files import FileLink
from crm.platform.recurrence import Recurrence
from crm.platform.types import STRICT, Email


class ReportColumn(BaseModel):
    key: str
    label: str = Field(description="In the reader's language")
    kind: str = Field(description="text, integer, money (minor units), date, ...")
    currency: str | None = None


class ReportAnswer(BaseModel):
    report: str
    title: str
    subtitle: str
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]
    empty: bool
    file: FileLink | None = Field(default=None, description="With format csv, xlsx, pdf or svg: the file, behind a link that expires")


# ---------------------------------------------------------------- subscriptions

ReportName = Literal["opportunity-projection", "opportunities", "reorder", "statement-of-account"]


class SubscriptionFields(BaseModel):
    model_config = STRICT
    report: ReportName
    filters: dict[str, Any] = Field(default_factory=dict, description="The report's own filters, as its GET route takes them")
    format: Literal["csv", "xlsx", "pdf"] = "pdf"
    recipients: Annotated[list[Email], Field(min_length=1, max_length=20)]
    recurrence: Recurrence
    skip_when_empty: bool = Field(default=True, description="Send nothing when the report has nothing to show")


class Subscription(BaseModel):
    id: str
    owner: str = Field(description="Who subscribed")
    report: str
    filters: dict[str, Any]
    format: str
    recipients: list[str]
    unsubscribed: list[str] = Field(default=[], description="Recipients who unsubscribed through their email's link")
    recurrence: Recurrence
    skip_when_empty: bool
    created_at: str
    version: int
    upcoming: list[str] = Field(default=[], description="The next 12 runs, in the recurrence's time zone")


class Unsubscribed(BaseModel):
    report: str
    recipient: str
    unsubscribed: bool = True
