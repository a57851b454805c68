"""What the reports API answers, and what a subscription holds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from crm.platform.files import FileLink


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
