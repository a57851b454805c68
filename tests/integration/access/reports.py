"""Access rules of the reports routes, a query that passes validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from tests.integration.access.roles import STAFF

LAYER = 70

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/reports/opportunity-projection"): STAFF,
    ("GET", "/reports/opportunities"): STAFF,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("GET", "/reports/opportunity-projection"): {"query": {"from_month": "2027-01", "to_month": "2027-12"}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    return {}
