"""Pydantic shapes of a job's invoice request, the contact's financial tab and its statement of
account (kept apart from crm.finance.models, the documents' shapes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from crm.platform.types import STRICT, Email


class JobInvoiceRequest(BaseModel):
    model_config = STRICT
    issue: bool = Field(default=False, description="Issue the invoice at once (numbered); otherwise a draft")
