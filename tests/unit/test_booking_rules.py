"""The booking site's rules and models, without AWS."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from crm.booking import rules
from crm.booking.models import DEFAULT_COLUMNS, BookingSiteFields
from crm.platform.auth import CUSTOMER, principal_from_claims

TYPE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def test_the_rate_window_is_the_hour_and_retry_after_counts_down_to_its_end():
    at = datetime(2030, 1, 7, 9, 59, 30, tzinfo=UTC)
    start, end = rules.rate_window(at)
    assert datetime.fromtimestamp(start, UTC) == datetime(2030, 1, 7, 9, tzinfo=UTC)
    assert end - start == 3600
    assert rules.retry_after(at, end) == 30


@pytest.mark.parametrize(
    "preferred, problem",
    [
        (date(2030, 1, 7), None),
        (date(2030, 1, 6), None),
        (date(2030, 1, 5), "is in the past"),
        (date(2031, 1, 8), "is more than 365 days ahead"),
    ],
)
def test_a_preferred_date_is_today_or_later_within_a_year(preferred, problem):
    assert rules.preferred_date_problem(preferred, date(2030, 1, 7)) == problem


def test_a_row_holds_the_id_and_the_configured_columns_only():
    job = {
        "id": "J",
        "reference": "JOB-000007",
        "job_type_id": "T",
        "contact_id": "S",
        "status": "scheduled",
        "planned_start": "2030-01-07T09:00:00Z",
        "flag": "secret",
        "created_by": "office@x",
    }
    assert rules.row(job, ["reference", "site", "type"], {"T": "Repair"}, {"S": "ABC Paris"}) == {
        "id": "J",
        "reference": "JOB-000007",
        "site": "ABC Paris",
        "type": "Repair",
    }


def test_the_customers_own_contact_comes_first_then_its_sites_by_name():
    sites = rules.sites_of({"id": "A", "name": "ABC"}, [{"id": "c", "name": "zeta"}, {"id": "b", "name": "Beta"}])
    assert [s["id"] for s in sites] == ["A", "b", "c"]


def test_temporary_passwords_meet_the_pool_policy_and_differ():
    passwords = {rules.temporary_password() for _ in range(20)}
    assert len(passwords) == 20
    for p in passwords:
        assert len(p) >= 12 and any(c.isupper() for c in p) and any(c.islower() for c in p) and any(c.isdigit() for c in p)


def test_a_site_gets_the_default_columns_and_refuses_unknown_ones():
    fields = BookingSiteFields(slug="abc-plumbing", job_type_ids=[TYPE], notify_email="Office@ABC.example")
    assert fields.columns == DEFAULT_COLUMNS == ["reference", "type", "site", "status", "planned_start"]
    assert fields.notify_email == "office@abc.example"
    with pytest.raises(ValidationError):
        BookingSiteFields(slug="abc", job_type_ids=[TYPE], notify_email="o@abc.example", columns=["price"])


@pytest.mark.parametrize("slug", ["ab", "ABC", "a b", "-abc", "abc-", "abc.js", "a" * 49])
def test_a_slug_is_a_safe_lowercase_path_segment(slug):
    with pytest.raises(ValidationError):
        BookingSiteFields(slug=slug, job_type_ids=[TYPE], notify_email="o@abc.example")


def test_a_token_with_a_contact_is_a_customers_whatever_groups_it_claims():
    principal = principal_from_claims(
        {"sub": "s", "custom:tenant": "t1", "custom:contact_id": "C", "custom:person_id": "P", "cognito:groups": "admin"}
    )
    assert (principal.role, principal.tenant, principal.contact_id, principal.person_id) == (CUSTOMER, "t1", "C", "P")
    staff = principal_from_claims({"sub": "s", "custom:tenant": "t1", "cognito:groups": "office"})
    assert staff.contact_id is None and staff.role == "office"
