"""Custom fields of financial documents (and of whatever sales files under another kind, such as
"opportunity"): defined per kind in the finance settings, answered on each document, every value
checked by the custom-field rules (crm.customfields.rules)."""

from __future__ import annotations

from typing import Any

from crm.customfields import rules
from crm.finance import settings
from crm.finance.models import FinanceSettings
from crm.platform.errors import FieldError, invalid_fields
from crm.platform.i18n import reason, tr


def definitions(tenant: str, kind: str, chosen: FinanceSettings | None = None) -> list[dict]:
    """The custom fields of `kind`, from the finance settings (`chosen` when the caller has read them)."""
    return [f.model_dump() for f in (chosen or settings.current(tenant)).document_fields.get(kind, [])]


def checked(
    tenant: str,
    kind: str,
    values: dict[str, Any],
    *,
    complete: bool = False,
    field: str = "custom_fields",
    chosen: FinanceSettings | None = None,
) -> dict[str, Any]:
    """The answers to store (unanswered ones left out); 422 naming each bad one. `complete`: every
    required field answered too (when a document is issued)."""
    defined = {d["key"]: d for d in definitions(tenant, kind, chosen)}
    problems, out = [], {}
    for key, value in values.items():
        definition = defined.get(key)
        if definition is None:
            problems.append(FieldError(f"{field}.{key}", tr("is not a custom field of this kind of document")))
            continue
        try:
            stored = rules.check_value(definition, value)
        except ValueError as e:
            problems.append(FieldError(f"{field}.{key}", reason(e)))
            continue
        if stored is not None:
            out[key] = stored
    if complete:
        missing = [k for k, d in defined.items() if d["required"] and k not in out]
        problems += [FieldError(f"{field}.{k}", tr("is required before the document is issued")) for k in missing]
    if problems:
        raise invalid_fields(problems)
    return out
