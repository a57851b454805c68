"""Access rules of the reports routes, a query that passes validation for each, and the objects the matrix probes them with."""

from __future__ import annotations

from tests.integration.access.roles import ANYONE, STAFF
from tests.support.lambdas import call

LAYER = 70

ROLES: dict[tuple[str, str], set[str]] = {
    ("GET", "/reports/opportunity-projection"): STAFF,
    ("GET", "/reports/opportunities"): STAFF,
    ("GET", "/reports/statement-of-account"): STAFF,
    ("GET", "/reports/reorder"): STAFF,
    ("GET", "/report-subscriptions"): STAFF,
    ("POST", "/report-subscriptions"): STAFF,
    ("GET", "/report-subscriptions/{subscription_id}"): STAFF,
    ("DELETE", "/report-subscriptions/{subscription_id}"): STAFF,
    ("GET", "/reports/unsubscribe"): ANYONE,
    ("POST", "/reports/unsubscribe"): ANYONE,
}

SUBSCRIPTION = {
    "report": "opportunity-projection",
    "filters": {"from_month": "2027-01"},
    "format": "pdf",
    "recipients": ["boss@t1.example"],
    "recurrence": {"frequency": "weekly", "weekdays": ["mon"], "time": "08:00", "timezone": "Europe/Paris"},
}

VALID_INPUT: dict[tuple[str, str], dict] = {
    ("GET", "/reports/opportunity-projection"): {"query": {"from_month": "2027-01", "to_month": "2027-12"}},
    ("GET", "/reports/statement-of-account"): {"query": {"contact_id": "{contact_id}"}},
    ("POST", "/report-subscriptions"): {"body": SUBSCRIPTION},
    ("DELETE", "/report-subscriptions/{subscription_id}"): {"headers": {"If-Match": '"1"'}},
    ("GET", "/reports/unsubscribe"): {"query": {"token": "{unsubscribe_token}"}},
    ("POST", "/reports/unsubscribe"): {"query": {"token": "{unsubscribe_token}"}},
}


def world(ids: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """A subscription to the projection, and its recipient's unsubscribe token."""
    from crm.reports.unsubscribe import token

    subscription = call("POST", "/report-subscriptions", body=SUBSCRIPTION).json
    return {"subscription_id": subscription["id"], "unsubscribe_token": token("t1", subscription["id"], "boss@t1.example")}
