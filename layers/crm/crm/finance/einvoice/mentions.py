"""What French law asks an invoice or credit note to show, from the facts fixed on it at issue
(`facts.fixed`), in the document's language:

- the footer: the seller's legal name and form, share capital, registered office, SIREN, RCS city
  and VAT number (Code de commerce R. 123-237, CGI art. 242 nonies A);
- the details: the day of delivery or service, the nature of the operation (goods, services or
  both: a mention of the e-invoicing reform), the invoice a credit note corrects;
- the notes: the customer's SIREN (reform) and VAT number, the option for VAT on debits when taken
  (reform), and on an invoice the late-payment penalty rate, the 40 EUR recovery indemnity (to a
  business) and the early-payment discount or that there is none (Code de commerce L. 441-9),
  with the bank details.

The number, dates, delivery address, per-rate VAT and totals are laid out by crm.finance.pdfs.
"""

from __future__ import annotations

from decimal import Decimal

from crm.finance.einvoice.facts import business_to_business
from crm.platform.i18n import Reader, tr

OPERATIONS = {
    "goods": tr("Supply of goods"),
    "services": tr("Supply of services"),
    "mixed": tr("Supply of goods and services"),
}


def spaced(siren: str) -> str:
    """A SIREN as it is printed: 303 265 045."""
    return " ".join(siren[i : i + 3] for i in range(0, len(siren), 3))


def _rate(reader: Reader, percent: str) -> str:
    return reader.percent(Decimal(percent) / 100)


def _address(address: dict) -> str:
    town = " ".join(p for p in (address.get("postcode"), address.get("city")) if p)
    return ", ".join(p for p in (address.get("line1"), address.get("line2"), town) if p)


def footer(document: dict, reader: Reader) -> list[str]:
    """The seller's legal identity, on every page."""
    seller = (document.get("legal") or {}).get("seller")
    if not seller:
        return []
    t = reader.text
    first = [seller.get("legal_name") or ""]
    if seller.get("legal_form") and seller.get("share_capital"):
        capital = reader.money(seller["share_capital"]["amount"], seller["share_capital"]["currency"])
        first.append(t(tr("{form} with a share capital of {capital}", form=seller["legal_form"], capital=capital)))
    elif seller.get("legal_form"):
        first.append(seller["legal_form"])
    if seller.get("address"):
        first.append(_address(seller["address"]))
    second = []
    if seller.get("siren"):
        second.append(t(tr("SIREN {siren}", siren=spaced(seller["siren"]))))
        if seller.get("rcs_city"):
            second.append(t(tr("RCS {city} {siren}", city=seller["rcs_city"], siren=spaced(seller["siren"]))))
    if seller.get("vat_number"):
        second.append(t(tr("VAT number {number}", number=seller["vat_number"])))
    return [line for line in (" - ".join(p for p in first if p), " - ".join(second)) if line]


def details(document: dict, reader: Reader) -> list[tuple[str, str]]:
    """Key-values under the number and dates."""
    t = reader.text
    out = []
    if document.get("delivery_date"):
        out.append((t(tr("Delivery or service date")), reader.date(document["delivery_date"])))
    if document.get("operation"):
        out.append((t(tr("Nature of the operation")), t(OPERATIONS[document["operation"]])))
    return out


def notes(document: dict, reader: Reader) -> list[str]:
    """The paragraphs at the foot of the document."""
    facts = document.get("legal")
    if not facts:
        return []
    t = reader.text
    seller, buyer = facts.get("seller", {}), facts.get("buyer", {})
    out = []
    if buyer.get("siren"):
        out.append(t(tr("Customer's SIREN: {siren}", siren=spaced(buyer["siren"]))))
    if buyer.get("vat_number"):
        out.append(t(tr("Customer's VAT number: {number}", number=buyer["vat_number"])))
    if seller.get("vat_on_debits"):
        out.append(t(tr("VAT paid on debits (the seller has opted to pay VAT on debits)")))
    if document["type"] == "invoice":
        out += _payment_terms(seller, business_to_business(document), reader)
    return out


def _payment_terms(seller: dict, business: bool, reader: Reader) -> list[str]:
    t = reader.text
    out = []
    if seller.get("late_payment_rate"):
        rate = _rate(reader, seller["late_payment_rate"])
        out.append(t(tr("Late payment penalties: {rate} a year, due from the day after the due date.", rate=rate)))
    if business and seller.get("recovery_indemnity"):
        amount = reader.money(seller["recovery_indemnity"]["amount"], seller["recovery_indemnity"]["currency"])
        out.append(t(tr("Fixed indemnity for recovery costs owed by a business paying late: {amount}.", amount=amount)))
    discount = seller.get("early_payment_discount")
    if discount == "none":
        out.append(t(tr("No discount for early payment.")))
    elif discount:
        rate = _rate(reader, discount["rate"])
        out.append(t(tr("Early payment discount: {rate} for payment within {days} days.", rate=rate, days=discount["within_days"])))
    if seller.get("iban"):
        bank = tr("Payment by bank transfer: IBAN {iban}", iban=seller["iban"])
        if seller.get("bic"):
            bank = tr("Payment by bank transfer: IBAN {iban}, BIC {bic}", iban=seller["iban"], bic=seller["bic"])
        out.append(t(bank))
    return out
