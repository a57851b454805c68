"""A supplier's e-invoice, read: a Factur-X PDF (its XML taken out with the factur-x package), or a
bare CII or UBL 2.1 XML, checked and turned into the fields of a bill.

The XML is untrusted: it is parsed by a hardened parser (no network, no DTD loaded, no entity
resolved, no huge tree) and refused outright when it declares a DOCTYPE, so neither an external
entity nor an entity-expansion bomb is ever expanded or fetched. Then it must pass its XSD, carry
lines (the EN 16931, BASIC or EXTENDED profiles; MINIMUM and BASIC WL have none), pass the
schematrons of its profile (EN 16931 and the French CTC rules, `schematron.py`), and its amounts
must add up (lines to the net total, taxes to the tax total, totals to the amount due) to the cent
(the schematrons check most of these sums too; the bill's integer amounts are checked here anyway).
Every refusal is one 422 naming what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crm.finance.einvoice import schematron
from crm.platform.errors import CrmError, FieldError, Invalid, invalid
from crm.platform.i18n import tr

FIELD = "upload_id"  # the input that names the file
CII, UBL_FLAVORS = "factur-x", ("ubl-2.1-invoice", "ubl-2.1-creditnote")
LEVELS_WITH_LINES = frozenset({"basic", "en16931", "extended"})
CREDIT_NOTE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
SIREN_SCHEME, SIRET_SCHEME = "0002", "0009"  # ISO 6523 ICD of a legal identifier


def refused(message) -> CrmError:
    return invalid(FIELD, message)


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False)


def parse_xml(data: bytes):
    """The XML's root element, parsed safely; a DOCTYPE (where entities are declared) is refused."""
    from lxml import etree

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise refused(tr("the XML declares a DTD or entities, which an e-invoice never does; it was not read"))
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as e:
        raise refused(tr("is not well-formed XML: {why}", why=str(e)[:200])) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise refused(tr("the XML declares a DTD or entities, which an e-invoice never does; it was not read"))
    return root


def xml_of_pdf(data: bytes) -> bytes:
    """The Factur-X XML embedded in a PDF, taken out by the factur-x package (not parsed here)."""
    from facturx import get_xml_from_pdf

    try:
        _, xml = get_xml_from_pdf(data, check_xsd=False)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on a damaged file: each is "not a PDF we can read"
        raise refused(tr("is not a PDF that can be read")) from None
    if not xml:
        raise refused(tr("the PDF holds no embedded Factur-X XML: it is not an e-invoice"))
    return xml


@dataclass(frozen=True)
class Read:
    format: str  # factur-x, cii, ubl
    fields: dict[str, Any]  # the factur-x package's EN 16931 dictionary (BT-/BG- ids)
    root: Any  # the XML, parsed safely
    flavor: str  # the package's: factur-x, ubl-2.1-invoice, ubl-2.1-creditnote
    level: str  # the Factur-X profile (UBL: en16931)


def read(data: bytes) -> Read:
    """Read and check an uploaded e-invoice (PDF or XML)."""
    from facturx import get_flavor, get_level, parse_ubl_cii_xml

    is_pdf = data[:5] == b"%PDF-"
    root = parse_xml(xml_of_pdf(data) if is_pdf else data)
    try:
        flavor = get_flavor(root)
    except Exception:  # noqa: BLE001 - the package raises a bare Exception for an unknown root
        flavor = None
    if flavor not in (CII, *UBL_FLAVORS):
        raise refused(tr("is neither a Factur-X (CII) nor a UBL 2.1 invoice"))
    try:
        level = get_level(root, flavor) if flavor == CII else "en16931"
    except Exception as e:  # noqa: BLE001 - the package says what is missing in a bare exception
        raise refused(tr("is not an e-invoice that can be read: {why}", why=str(e)[:300])) from None
    if flavor == CII and level not in LEVELS_WITH_LINES:
        raise refused(tr("is a Factur-X {level} invoice, which carries no lines: ask the supplier for EN 16931", level=level.upper()))
    check_xsd(root, flavor, level)
    try:
        fields = parse_ubl_cii_xml(root, flavor=flavor, level=level, date_as="date", check_xsd=False)
    except Exception as e:  # noqa: BLE001 - valid against its XSD yet not readable by the package: say why, never a 500
        raise refused(tr("is not an e-invoice that can be read: {why}", why=str(e)[:300])) from None
    return Read("factur-x" if is_pdf else ("cii" if flavor == CII else "ubl"), fields, root, flavor, level)


def check_rules(found: Read, filename: str) -> Read:
    """The read file, once it passes the schematrons of its profile; else a 422 whose detail names
    the file and the rules it breaks, with one error per rule (its id and its text)."""
    try:
        broken = schematron.broken(found.root, found.flavor, found.level)
    except schematron.Uncheckable as e:
        raise refused(tr("{file} could not be checked against its schematrons: {why}", file=filename, why=str(e))) from None
    if broken:
        names = ", ".join(dict.fromkeys(s.name for s, _ in broken))
        rules = ", ".join(dict.fromkeys(f.rule for _, f in broken))
        detail = tr("{file} breaks rules of the schematrons ({schematrons}): {rules}", file=filename, schematrons=names, rules=rules)
        errors = [
            FieldError(FIELD, tr("{file} breaks {rule} ({schematron}): {text}", file=filename, rule=f.rule, schematron=s.name, text=f.text))
            for s, f in broken
        ]
        raise Invalid(detail, errors)
    return found


def check_xsd(root, flavor: str, level: str) -> None:
    """The package's XSD of the file's flavor and level, compiled once per process (the package's
    own check compiles it on every call: most of a second for UBL's)."""
    from lxml import etree

    from crm.finance.einvoice.syntax import schema

    try:
        schema(flavor, level).assertValid(root)
    except etree.DocumentInvalid as e:
        why = str(e.error_log.last_error.message if e.error_log.last_error else e)[:300]
        raise refused(tr("fails the XSD of {schema}: {why}", schema=(flavor + " " + level).upper(), why=why)) from None


# ---------------------------------------------------------------- amounts


def minor(value: Any, precision: int, what: str) -> int:
    try:
        return int((Decimal(str(value)) * (10**precision)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        raise refused(tr("{what} is not an amount", what=what)) from None


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else None)


def _supplier(party: dict) -> dict:
    """The seller as the file gives it: a contact of the account matches it by SIREN (else VAT
    number), or it is proposed as a new one (`supplier_contact`)."""
    legal = {party.get("legal_identifier_schemeid"): party.get("legal_identifier")}
    siret = legal.get(SIRET_SCHEME) or (party.get("identifiers") or {}).get(SIRET_SCHEME)
    siren = legal.get(SIREN_SCHEME) or (siret[:9] if siret else None)
    address = [party.get(k) for k in ("addr_l1", "addr_l2", "addr_l3") if party.get(k)]
    town = " ".join(p for p in (party.get("postcode"), party.get("city")) if p)
    vat = (party.get("vat_identifier") or "").replace(" ", "") or None
    return {
        "name": party.get("name") or "?",
        "siren": siren,
        "siret": siret if siret and siren and siret[:9] == siren else None,
        "vat_number": vat,
        "country": party.get("country_code"),
        "address": [*address, town] if town else address,
        "postcode": party.get("postcode"),
        "city": party.get("city"),
    }


def supplier_contact(supplier: dict) -> dict:
    """A bill's proposed supplier as the fields of a business contact (its group and reference
    aside): its street lines are the address's but the "postcode city" line `_supplier` adds."""
    street = supplier.get("address") or []
    if supplier.get("postcode") or supplier.get("city"):
        street = street[:-1]
    address = (
        {"line1": street[0], "line2": ", ".join(street[1:]) or None, "postcode": supplier.get("postcode"), "city": supplier.get("city")}
        | {"country": supplier.get("country")}
        if street
        else None
    )
    fields = {k: supplier.get(k) for k in ("name", "siren", "siret", "vat_number", "country")}
    return {"kind": "business", **fields, "address": address}


def bill_fields(found: Read) -> dict:
    """The bill's fields, once its amounts are found to add up (else a 422 naming the total)."""
    from babel.numbers import get_currency_precision

    f = found.fields
    currency = f.get("BT-5") or "EUR"
    places = get_currency_precision(currency)

    def amount(key: str, source: dict | None = None) -> int:
        return minor((source or f).get(key) or 0, places, key)

    lines = [
        {
            "description": line.get("BT-153") or "",
            "quantity": str(line.get("BT-129") or "1"),
            "unit_price": str(line.get("BT-146") or "0"),
            "net": amount("BT-131", line),
            "tax_category": line.get("BT-151"),
            "tax_rate": line.get("BT-152"),
        }
        for line in f.get("BG-25") or []
    ]
    taxes = [
        {"category": t.get("BT-118") or "S", "rate": t.get("BT-119"), "taxable": amount("BT-116", t), "tax": amount("BT-117", t)}
        for t in f.get("BG-23") or []
    ]
    net, allowances, charges = amount("BT-106"), amount("BT-107"), amount("BT-108")
    taxable, tax, gross = amount("BT-109"), amount("BT-110"), amount("BT-112")
    prepaid, rounding, due = amount("BT-113"), amount("BT-114"), amount("BT-115")
    checks = [
        (sum(line["net"] for line in lines), net, tr("the lines")),
        (net - allowances + charges, taxable, tr("the net total less allowances plus charges")),
        (sum(t["tax"] for t in taxes), tax, tr("the VAT breakdown")),
        (taxable + tax, gross, tr("the total without VAT plus the VAT")),
        (gross - prepaid + rounding, due, tr("the total less the amount prepaid")),
    ]
    for (computed, stated, what), term in zip(checks, ("BT-106", "BT-109", "BT-110", "BT-112", "BT-115"), strict=True):
        if computed != stated:
            shown = {k: Decimal(v).scaleb(-places) for k, v in (("computed", computed), ("stated", stated))}
            raise refused(tr("{what} add up to {computed} but the invoice states {stated} ({term})", what=what, term=term, **shown))
    return {
        "number": str(f.get("BT-1") or ""),
        "type": "credit_note" if str(f.get("BT-3")) in CREDIT_NOTE_CODES else "invoice",
        "issue_date": _day(f.get("BT-2")),
        "due_date": _day(f.get("BT-9")),
        "currency": currency,
        "supplier": _supplier(f.get("BG-4") or {}),
        "purchase_order_number": f.get("BT-13"),
        "lines": lines,
        "taxes": taxes,
        "net": taxable,
        "tax": tax,
        "gross": gross,
        "due": due,
        "format": found.format,
    }
