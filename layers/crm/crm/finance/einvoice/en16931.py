"""An issued invoice or credit note as the EN 16931 data the factur-x package generates CII and UBL
from (a dict keyed by business term ids: BT-1 its number, BG-4 the seller...), read only from what
the document fixed at issue, so the XML's amounts are the document's to the cent.

French CTC rules (the XP Z12-012 "flux 2" schematron) are met too: the parties' electronic
addresses are their SIRENs (scheme 0225), the business process (BT-23) is the invoicing framework
of the operation (B1 goods, S1 services, M1 both), the payment notes PMD/PMT/AAB are given.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm.finance.einvoice.facts import business_to_business
from crm.finance.einvoice.mentions import spaced

TYPE_CODES = {"invoice": "380", "credit_note": "381"}  # UNTDID 1001: commercial invoice, credit note
FRAMEWORKS = {"goods": "B1", "services": "S1", "mixed": "M1"}  # BT-23, French CTC invoicing frameworks
SIREN_SCHEME, ROUTING_SCHEME = "0002", "0225"  # ISO 6523 ICD: SIRENE; EAS: French directory (SIREN)
UNIT = "C62"  # UN/ECE rec. 20: one (unit)
CREDIT_TRANSFER = "30"  # UNTDID 4461
FRANCE = "FR"


def _day(value: str) -> date:
    return date.fromisoformat(value)


def amounts(currency: str):
    """minor units -> the decimal string of the currency's major units ("1234" -> "12.34")."""
    from babel.numbers import get_currency_precision

    places = get_currency_precision(currency)
    return lambda minor: str(Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places)))


def _rate(percent: str) -> str:
    return str(Decimal(percent).quantize(Decimal("0.01")))


def _party(party: dict, fallback_country: str | None) -> dict:
    address = party.get("address") or {}
    out = {
        "name": party.get("legal_name") or party["name"],
        "addr_l1": address.get("line1"),
        "addr_l2": address.get("line2"),
        "city": address.get("city"),
        "postcode": address.get("postcode"),
        "country_subdivision": address.get("region"),
        "country_code": address.get("country") or party.get("country") or fallback_country,
        "vat_identifier": party.get("vat_number"),
    }
    if party.get("siren"):
        out |= {"legal_identifier": party["siren"], "legal_identifier_schemeid": SIREN_SCHEME}
        out |= {"einvoicing_addr": party["siren"], "einvoicing_addr_schemeid": ROUTING_SCHEME}
    return {k: v for k, v in out.items() if v}


def _legal_info(seller: dict, money) -> str | None:
    parts = [seller.get("legal_form")]
    if seller.get("share_capital"):
        parts.append(f"{money(seller['share_capital']['amount'])} {seller['share_capital']['currency']}")
    if seller.get("rcs_city") and seller.get("siren"):
        parts.append(f"RCS {seller['rcs_city']} {spaced(seller['siren'])}")
    return " - ".join(p for p in parts if p) or None


def _notes(document: dict, seller: dict, money) -> list[dict]:
    """Payment notes (UNTDID 4451: PMD penalties, PMT recovery indemnity, AAB discount), in French:
    the language of the French CTC."""
    notes = []
    if seller.get("late_payment_rate"):
        notes.append({"BT-21": "PMD", "BT-22": f"Pénalités de retard : {seller['late_payment_rate']} % par an."})
    indemnity = seller.get("recovery_indemnity")
    if business_to_business(document) and indemnity:
        text = f"Indemnité forfaitaire pour frais de recouvrement : {money(indemnity['amount'])} {indemnity['currency']}."
        notes.append({"BT-21": "PMT", "BT-22": text})
    discount = seller.get("early_payment_discount")
    if discount == "none":
        notes.append({"BT-21": "AAB", "BT-22": "Pas d'escompte pour paiement anticipé."})
    elif discount:
        text = f"Escompte pour paiement anticipé : {discount['rate']} % sous {discount['within_days']} jours."
        notes.append({"BT-21": "AAB", "BT-22": text})
    if seller.get("vat_on_debits"):
        notes.append({"BT-21": "AAI", "BT-22": "Option pour le paiement de la taxe d'après les débits."})
    return notes


def _line(index: int, line: dict, price) -> dict:
    unit = Decimal(line["unit_price"])
    discount = (unit * Decimal(line["discount"]) / 100).quantize(Decimal(1))
    out = {
        "BT-126": str(index + 1),
        "BT-153": line["description"],
        "BT-129": line["quantity"],
        "BT-130": UNIT,
        "BT-146": price(int(unit - discount)),
        "BT-151": line["tax_category"],
        "BT-152": _rate(line["tax_percent"]),
        "BT-131": price(line["net"]),
    }
    if discount:
        out |= {"BT-148": price(int(unit)), "BT-147-00": [{"BT-147": price(int(discount))}]}
    return out


def data(document: dict) -> dict:
    """The EN 16931 data of an issued invoice or credit note."""
    facts = document["legal"]
    seller, buyer = facts["seller"], facts["buyer"]
    money = amounts(document["currency"])
    country = (seller.get("address") or {}).get("country")
    out: dict = {
        "BT-1": document["number"],
        "BT-2": _day(document["issue_date"]),
        "BT-3": TYPE_CODES[document["type"]],
        "BT-5": document["currency"],
        "BT-23": FRAMEWORKS[document["operation"]],
        "BT-72": _day(document["delivery_date"]),
        # A seller with a SIREN is registered in France, whether or not its address names the country.
        "BG-4": {**_party(seller, FRANCE if seller.get("siren") else None), "legal_info": _legal_info(seller, money)},
        "BG-7": _party(buyer, country),
        "BG-1": _notes(document, seller, money),
        "BG-23": [
            {
                "BT-116": money(tax["taxable"]),
                "BT-117": money(tax["tax"]),
                "BT-118": tax["category"],
                "BT-119": _rate(tax["rate"]),
                **({"BT-120": tax["exemption_reason"]} if tax.get("exemption_reason") else {}),
                **({"BT-121": code} if (code := _exemption_code(document, tax)) else {}),
            }
            for tax in document["taxes"]
        ],
        "BG-25": [_line(i, line, money) for i, line in enumerate(document["lines"])],
        "BT-106": money(document["net"]),
        "BT-109": money(document["net"]),
        "BT-110": money(document["tax"]),
        "BT-112": money(document["gross"]),
        "BT-115": money(document["gross"]),
    }
    out["BG-4"] = {k: v for k, v in out["BG-4"].items() if v}
    if document.get("reference"):
        out["BT-13"] = document["reference"]
    if document["type"] == "invoice":
        out["BT-9"] = _day(document["due_date"])
    if document.get("credited_invoice_number"):
        out["BG-3"] = [{"BT-25": document["credited_invoice_number"], "BT-26": _day(document["credited_invoice_date"])}]
    if facts.get("delivery"):
        out["BG-13"] = _party(facts["delivery"], buyer.get("country") or country)
    if seller.get("iban") and document["type"] == "invoice":
        out |= {"BT-81": CREDIT_TRANSFER, "BT-84": seller["iban"], **({"BT-86": seller["bic"]} if seller.get("bic") else {})}
    return out


def _exemption_code(document: dict, tax: dict) -> str | None:
    """The VATEX code of a breakdown's exemption, from its lines (each carries its rate's code)."""
    for line in document["lines"]:
        if line["tax_category"] == tax["category"] and Decimal(line["tax_percent"]) == Decimal(tax["rate"]):
            return line.get("exemption_code")
    return None
