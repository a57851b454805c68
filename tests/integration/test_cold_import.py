"""A cold start pays only for what the function's routes need: at import, no function loads Babel
(its locale data loads when an email, a document or a problem is first written), nor shapely,
numpy, reportlab or saxonche (the schematrons). Each function's module is imported in a fresh interpreter, as Lambda would."""

from __future__ import annotations

import pytest

from bench.cold_import import loaded_at_import
from infra import template


@pytest.mark.parametrize("logical_id", sorted(template.functions()))
def test_a_functions_cold_import_loads_no_heavy_package_nor_babels_locale_data(logical_id):
    assert loaded_at_import(logical_id) == []
