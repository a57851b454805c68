"""A document's lines as stored: each input line completed from the finance settings (a
predefined line, a tax rate, a nominal code) or the stock catalogue, checked, and priced."""

from __future__ import annotations

from decimal import Decimal

from crm.finance import money
from crm.finance.models import FinanceSettings, LineFields, TaxRate
from crm.platform.errors import FieldError, invalid_fields
from crm.platform.i18n import tr


def stock_item(tenant: str, item_id: str) -> dict | None:
    """The stock context's catalogue item (id, description, unit_price, tax_rate_id...), or None.
    The one call into stock: until that context is deployed, no item exists."""
    try:
        from crm.stock import catalogue  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return catalogue.get_item(tenant, item_id)


def rate_code(line: dict, rates: list[TaxRate]) -> str | None:
    """The finance tax rate a line names: its code (`tax_rate_id`), or its percentage (`tax_rate`,
    as job lines and stock items carry it) when exactly one rate has that percentage."""
    if line.get("tax_rate_id"):
        return line["tax_rate_id"] if any(r.code == line["tax_rate_id"] for r in rates) else None
    if line.get("tax_rate") is None:
        return None
    matching = [r.code for r in rates if Decimal(r.rate) == Decimal(line["tax_rate"])]
    return matching[0] if len(matching) == 1 else None


def _stock_description(item: dict) -> str:
    words = [item.get("description") or "", item.get("make") or "", item.get("model") or "", item.get("part_number") or ""]
    return " ".join(w for w in words if w)[:200] or item["id"]


def resolve(tenant: str, settings: FinanceSettings, given: list[LineFields], field: str = "lines") -> list[dict]:
    """The stored lines, each with its net; 422 naming every bad field (`lines.2.tax_rate`)."""
    rates = {t.code: t for t in settings.tax_rates}
    nominals = {n.code for n in settings.nominal_codes}
    predefined = {p.code: p for p in settings.lines}
    problems: list[FieldError] = []
    out: list[dict] = []
    for i, line in enumerate(given):
        at = f"{field}.{i}"
        base: dict = {}
        if line.kind == "predefined":
            found = predefined.get(line.code or "")
            if found is None:
                problems.append(FieldError(f"{at}.code", tr("is not one of the predefined lines")))
                continue
            base = {"description": found.description, "unit_price": found.unit_price, "tax_rate": found.tax_rate}
            base["nominal_code"] = found.nominal_code
        elif line.kind == "stock":
            item = stock_item(tenant, line.item_id) if line.item_id else None
            if item is None:
                problems.append(FieldError(f"{at}.item_id", tr("is not an item of the stock catalogue")))
                continue
            if item.get("currency") and item["currency"] != settings.currency and line.unit_price is None:
                problems.append(FieldError(f"{at}.unit_price", tr("the item is priced in another currency: give the price")))
                continue
            base = {
                "description": _stock_description(item),
                "unit_price": item.get("unit_price"),
                "tax_rate": rate_code(item, settings.tax_rates),
            }
        chosen = {**base, **line.model_dump(exclude_unset=True, exclude_none=True)}
        missing = [name for name in ("description", "unit_price", "tax_rate") if chosen.get(name) is None]
        problems += [FieldError(f"{at}.{name}", tr("is required on a free line")) for name in missing]
        if missing:
            continue
        rate = rates.get(chosen["tax_rate"])
        if rate is None:
            problems.append(FieldError(f"{at}.tax_rate", tr("is not one of the tax rates")))
            continue
        if chosen.get("nominal_code") is not None and chosen["nominal_code"] not in nominals:
            problems.append(FieldError(f"{at}.nominal_code", tr("is not one of the nominal codes")))
            continue
        stored = {
            "kind": line.kind,
            "code": line.code,
            "item_id": line.item_id,
            "description": chosen["description"],
            "quantity": line.quantity,
            "unit_price": int(chosen["unit_price"]),
            "discount": line.discount,
            "tax_rate": rate.code,
            "tax_category": rate.category,
            "tax_percent": rate.rate,
            "exemption_reason": rate.exemption_reason,
            "exemption_code": rate.exemption_code,
            "nominal_code": chosen.get("nominal_code"),
        }
        stored["net"] = money.line_net(amounts(stored))
        if abs(stored["net"]) > money.MAX_AMOUNT:
            problems.append(FieldError(f"{at}.quantity", tr("the line's amount is over the most a line may be")))
        out.append(stored)
    if problems:
        raise invalid_fields(problems)
    return out


def amounts(line: dict) -> money.LineAmounts:
    return money.LineAmounts(
        Decimal(line["quantity"]), int(line["unit_price"]), Decimal(line["discount"]), line["tax_category"], Decimal(line["tax_percent"])
    )


def priced(lines: list[dict], field: str = "lines") -> dict:
    """The document's amounts: taxes per (category, rate), net, tax, gross; 422 past the limit."""
    total = money.totals([amounts(line) for line in lines])
    if abs(total.gross) > money.MAX_AMOUNT:
        raise invalid_fields([FieldError(field, tr("the document's total is over the most a document may be"))])
    reasons = {(line["tax_category"], str(Decimal(line["tax_percent"]).normalize())): line.get("exemption_reason") for line in lines}
    taxes = [
        {
            "category": t.category,
            "rate": format(t.rate, "f"),
            "taxable": t.taxable,
            "tax": t.tax,
            "exemption_reason": reasons.get((t.category, str(t.rate))),
        }
        for t in total.taxes
    ]
    return {"taxes": taxes, "net": total.net, "tax": total.tax, "gross": total.gross}
