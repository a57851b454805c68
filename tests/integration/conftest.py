"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from tests.integration.access import contexts


@pytest.fixture
def world(aws):
    """Tenant t1 with one of everything each context probes its routes with (see
    tests/integration/access/): ids by name."""
    ids: dict[str, str] = {}
    for context in contexts():
        ids |= context.world(ids, aws)
    return ids
