"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from tests.integration.access import contexts
from tests.support import sales as selling


@pytest.fixture
def world(aws):
    """Tenant t1 with one of everything each context probes its routes with (see
    tests/integration/access/): ids by name."""
    ids: dict[str, str] = {}
    for context in contexts():
        ids |= context.world(ids, aws)
    return ids


@pytest.fixture
def sales(aws):
    """Tenant t1 with sales set up (two stages, a probability with a percentage and one without,
    a tag) and two contacts (tests/support/sales.py)."""
    return selling.set_up(aws)
