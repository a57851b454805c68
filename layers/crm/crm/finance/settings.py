"""The finance settings (admin): payment terms, numbering prefixes, tax rates, nominal codes,
predefined lines, the company's letterhead and logo, the terms printed on documents. The currency
is the account's (GET/PATCH /settings), so a document and every other amount agree."""

from __future__ import annotations

import base64
import binascii
import hashlib

from pydantic import BaseModel

from crm.contacts import service as contacts
from crm.finance import repository as repo
from crm.finance.models import FinanceSettings, FinanceSettingsFields
from crm.platform import audit
from crm.platform.auth import Principal
from crm.platform.errors import FieldError, PreconditionFailed, invalid_fields
from crm.platform.i18n import tr

IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


def current(tenant: str, currency: str | None = None) -> FinanceSettings:
    """The settings, with the account's currency (`currency` when the caller has read it)."""
    stored = repo.get_settings(tenant) or {}
    return FinanceSettings.model_validate({**stored, "currency": currency or contacts.settings(tenant).currency})


def _duplicates(field: str, codes: list[str]) -> list[FieldError]:
    seen: set[str] = set()
    out = []
    for i, code in enumerate(codes):
        if code.casefold() in seen:
            out.append(FieldError(f"{field}.{i}.code", tr("{code} is listed twice", code=code)))
        seen.add(code.casefold())
    return out


def problems(fields: FinanceSettingsFields) -> list[FieldError]:
    """What makes the settings inconsistent: a code listed twice, a predefined line naming a tax
    rate or nominal code that is not there, a logo that is not a PNG or JPEG."""
    found = _duplicates("tax_rates", [t.code for t in fields.tax_rates])
    found += _duplicates("nominal_codes", [n.code for n in fields.nominal_codes])
    found += _duplicates("lines", [line.code for line in fields.lines])
    rates, nominals = {t.code for t in fields.tax_rates}, {n.code for n in fields.nominal_codes}
    for i, line in enumerate(fields.lines):
        if line.tax_rate not in rates:
            found.append(FieldError(f"lines.{i}.tax_rate", tr("is not one of the tax rates")))
        if line.nominal_code is not None and line.nominal_code not in nominals:
            found.append(FieldError(f"lines.{i}.nominal_code", tr("is not one of the nominal codes")))
    if fields.logo is not None and not logo_bytes(fields.logo):
        found.append(FieldError("logo", tr("must be a PNG or JPEG image, base64-encoded")))
    return found


def logo_bytes(logo: str | None) -> bytes | None:
    if not logo:
        return None
    try:
        data = base64.b64decode(logo, validate=False)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(IMAGE_SIGNATURES) else None


def digest(data: bytes | None) -> str | None:
    """The logo's fingerprint, fixed on a document at issue: its PDF is re-made only with that logo."""
    return hashlib.sha256(data).hexdigest() if data else None


def update(principal: Principal, patch: BaseModel, expected_version: int) -> FinanceSettings:
    """`patch` is a FinanceSettingsPatch (a merge patch: lists are replaced whole). The change is
    recorded in the audit trail (the names of the fields given) in the same transaction."""
    tenant = principal.tenant
    old = current(tenant)
    if old.version != expected_version:
        raise PreconditionFailed(tr("the finance settings changed since you read them; reload them and apply your change again"))
    merged = {**old.model_dump(exclude={"version", "currency"}), **patch.model_dump(exclude_unset=True)}
    defaults = FinanceSettingsFields().model_dump()
    fields = FinanceSettingsFields.model_validate(
        {
            k: defaults[k] if v is None and k in ("prefixes", "tax_rates", "nominal_codes", "lines", "payment_terms_days") else v
            for k, v in merged.items()
        }
    )
    found = problems(fields)
    if found:
        raise invalid_fields(found)
    record = audit.entry(principal, "settings.changed", "finance_settings", tenant, fields=sorted(patch.model_dump(exclude_unset=True)))
    repo.put_settings(tenant, {**fields.model_dump(mode="json"), "version": expected_version + 1}, expected_version, record)
    return current(tenant)
