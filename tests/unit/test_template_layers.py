"""saxonche (~100 MB) reaches EInvoicingFunction alone: SchematronLayer is on it and on no other
function, every function keeps CrmLayer from the Globals (SAM appends a function's own layers to
them), and only crm/finance/einvoice/schematron.py imports saxonche, for the received path only.
shapely and numpy (~50 MB) are GeoLayer's, on every function but EInvoicingFunction (so it fits
Lambda's 250 MB: infra/lambda_size.py), and only crm/contacts/geo.py imports them."""

from __future__ import annotations

import re
from pathlib import Path

from infra import template

ROOT = Path(__file__).parents[2]
CRM = ROOT / "layers" / "crm" / "crm"


def _refs(layers: list) -> set[str]:
    return {layer["Ref"] for layer in layers}


def test_schematron_layer_is_einvoicing_functions_alone_and_crm_layer_everyones():
    raw = template.load()
    assert _refs(raw["Globals"]["Function"]["Layers"]) == {"CrmLayer"}
    with_schematron = {
        name
        for name, res in raw["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function" and "SchematronLayer" in _refs(res["Properties"].get("Layers", []))
    }
    assert with_schematron == {"EInvoicingFunction"}
    assert raw["Resources"]["SchematronLayer"]["Properties"]["ContentUri"] == "layers/schematron/"
    assert "saxonche==" in (ROOT / "layers" / "schematron" / "requirements.lock").read_text()
    assert "saxonche" not in (ROOT / "layers" / "crm" / "requirements.lock").read_text()


def test_geo_layer_is_on_every_function_but_einvoicing_and_holds_shapely_and_numpy_alone():
    raw = template.load()
    functions = {name for name, res in raw["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}
    with_geo = {name for name in functions if "GeoLayer" in _refs(raw["Resources"][name]["Properties"].get("Layers", []))}
    assert with_geo == functions - {"EInvoicingFunction"}
    assert raw["Resources"]["GeoLayer"]["Properties"]["ContentUri"] == "layers/geo/"
    geo = (ROOT / "layers" / "geo" / "requirements.lock").read_text()
    assert "shapely==" in geo and "numpy==" in geo
    crm = (ROOT / "layers" / "crm" / "requirements.lock").read_text()
    assert not re.search(r"^(shapely|numpy)==", crm, re.M)


def test_only_the_zones_reach_shapely_and_numpy():
    importers = {
        p.relative_to(CRM).as_posix() for p in CRM.rglob("*.py") if re.search(r"^\s*(from|import) (shapely|numpy)\b", p.read_text(), re.M)
    }
    assert importers == {"contacts/geo.py"}


def test_only_the_received_invoices_path_reaches_saxonche():
    importers = {p.relative_to(CRM).as_posix() for p in CRM.rglob("*.py") if re.search(r"^\s*(from|import) saxonche", p.read_text(), re.M)}
    assert importers == {"finance/einvoice/schematron.py"}
    users = {
        p.relative_to(CRM).as_posix()
        for p in CRM.rglob("*.py")
        if re.search(r"^\s*from crm\.finance\.einvoice import .*\bschematron\b", p.read_text(), re.M)
    }
    assert users == {"finance/einvoice/received_parsing.py"}
