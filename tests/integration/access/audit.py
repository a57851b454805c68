"""Access rules of the audit routes (admins only), and a body that passes validation; they need no probe objects."""

from __future__ import annotations

from tests.integration.access.roles import ADMINS

LAYER = 0  # platform: below every context

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/audit"): ADMINS,
    ("GET", "/audit/settings"): ADMINS,
    ("PATCH", "/audit/settings"): ADMINS,
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("PATCH", "/audit/settings"): {"body": {"retention_days": 400}, "headers": {"If-Match": '"0"'}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    return {}
