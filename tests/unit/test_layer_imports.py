"""A function imports only its layers' packages (infra/layer_imports.py), locally as on Lambda:
EInvoicingFunction has no GeoLayer (shapely, numpy), the others no SchematronLayer (saxonche)."""

from __future__ import annotations

import importlib
import sys

import pytest

from infra import template
from infra.layer_imports import absent_modules, hidden


def test_what_each_function_cannot_import_follows_its_layers():
    assert absent_modules("EInvoicingFunction") == {"numpy", "shapely"}
    for logical_id in set(template.functions()) - {"EInvoicingFunction"}:
        absent = absent_modules(logical_id)
        assert "saxonche" in absent
        assert not absent & {"numpy", "shapely", "crm", "pydantic", "babel", "lxml"}


def test_a_hidden_package_fails_to_import_even_if_loaded_before_and_comes_back_after():
    import shapely.geometry

    loaded = sys.modules["shapely.geometry"]
    with hidden({"shapely", "numpy"}):
        with pytest.raises(ModuleNotFoundError, match="shapely"):
            importlib.import_module("shapely.geometry")
        with pytest.raises(ModuleNotFoundError, match="numpy"):
            import numpy  # noqa: F401
        import json  # anything else imports as ever

        assert json.dumps([1]) == "[1]"
    assert importlib.import_module("shapely.geometry") is loaded
    assert shapely.geometry.Point(0, 0).buffer(1).area > 3
