"""saxonche (~100 MB) reaches EInvoicingFunction alone: SchematronLayer is on it and on no other
function, every function keeps CrmLayer from the Globals (SAM appends a function's own layers to
them), and only crm/finance/einvoice/schematron.py imports saxonche, for the received path only."""

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


def test_only_the_received_invoices_path_reaches_saxonche():
    importers = {p.relative_to(CRM).as_posix() for p in CRM.rglob("*.py") if re.search(r"^\s*(from|import) saxonche", p.read_text(), re.M)}
    assert importers == {"finance/einvoice/schematron.py"}
    users = {
        p.relative_to(CRM).as_posix()
        for p in CRM.rglob("*.py")
        if re.search(r"^\s*from crm\.finance\.einvoice import .*\bschematron\b", p.read_text(), re.M)
    }
    assert users == {"finance/einvoice/received_parsing.py"}
