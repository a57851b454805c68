"""What template.yaml lets each function do, and what it keeps out of their environments, read from
the template itself (tests/support/iam.py enforces the same policies on every call the
integration tests make)."""

from __future__ import annotations

import re

import pytest

from infra import template
from tests.support import iam

REFS = template.local_refs({"MailFrom": "crm@mail.example.org"})
FUNCTIONS = sorted(template.functions())


def _actions(statement: dict) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def _resources(statement: dict) -> list[str]:
    return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_may_scan_or_use_a_wildcard_action(function):
    for statement in iam.statements(function, REFS):
        for action in _actions(statement):
            assert "*" not in action, f"{function}: {action}"
            assert action.lower() != "dynamodb:scan", f"{function} may Scan"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_table_permissions_name_the_table_and_its_indexes_only(function):
    table = f"arn:aws:dynamodb:{template.REGION}:{template.ACCOUNT}:table/{REFS['Table']}"
    idempotency = f"arn:aws:dynamodb:{template.REGION}:{template.ACCOUNT}:table/{REFS['IdempotencyTable']}"
    for statement in iam.statements(function, REFS):
        if any(a.startswith("dynamodb:") for a in _actions(statement)):
            assert set(_resources(statement)) <= {table, f"{table}/index/*", idempotency}, f"{function}: {statement}"


@pytest.mark.parametrize(("identity", "arn"), [("", "crm@mail.example.org"), ("mail.example.org", "mail.example.org")])
def test_email_goes_out_through_the_senders_verified_identity_only(identity, arn):
    refs = template.local_refs({"MailFrom": "crm@mail.example.org", "MailIdentity": identity})
    expected = f"arn:aws:ses:{template.REGION}:{template.ACCOUNT}:identity/{arn}"
    senders = {f: {r for s in iam.statements(f, refs) if "ses:SendRawEmail" in _actions(s) for r in _resources(s)} for f in FUNCTIONS}
    assert {f for f, arns in senders.items() if arns} == {
        "AlertsFunction",
        "BillingRunFunction",
        "BillingWorkerFunction",
        "PeopleFunction",
        "BookingFunction",
        "StockAlertsFunction",
        "FinanceFunction",
        "ReportDeliveryFunction",
    }
    assert all(arns <= {expected} for arns in senders.values())
    pool = template.resolve(template.load()["Resources"]["CustomerUserPool"]["Properties"]["EmailConfiguration"], refs)
    assert pool["SourceArn"] == expected and pool["From"] == "crm@mail.example.org"
    # The sender is verified once, outside the stack: a stack creating it collides with a second stage.
    assert not template.resources("AWS::SES::EmailIdentity")


def test_the_cursor_keys_are_readable_by_the_functions_that_sign_cursors_and_by_no_other():
    parameter = f"arn:aws:ssm:{template.REGION}:{template.ACCOUNT}:parameter/crm/prod/cursor-signing-keys"
    readers = {
        f for f in FUNCTIONS if any(parameter in _resources(s) for s in iam.statements(f, REFS) if "ssm:GetParameter" in _actions(s))
    }
    # The report functions sign (delivery) and verify (reports) unsubscribe links with the same keys.
    assert readers == {
        "ContactsFunction",
        "CustomFieldsFunction",
        "PeopleFunction",
        "BookingFunction",
        "JobsFunction",
        "AuditFunction",
        "StockFunction",
        "FinanceFunction",
        "EInvoicingFunction",
        "SalesFunction",
        "ReportsFunction",
        "ReportDeliveryFunction",
    }
    assert template.secure_parameters(REFS) == {"CursorSigningKey": "/crm/prod/cursor-signing-keys"}


SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|PRIVATE|_KEY$)", re.IGNORECASE)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_environment_holds_a_secret(function):
    """Names of things, never secrets: readable by anyone with lambda:GetFunctionConfiguration."""
    no_echo = {name for name, p in template.load()["Parameters"].items() if p.get("NoEcho")}
    for name, value in template.functions()[function].environment.items():
        assert not SECRET_NAME.search(name), f"{function}: {name} looks like a secret"
        refs = set(re.findall(r"'Ref': '(\w+)'|\$\{(\w+)", str(value)))
        assert not {r for pair in refs for r in pair} & no_echo, f"{function}: {name} holds a NoEcho parameter"
