"""Every route of template.yaml, every role, two tenants: who may call what, and what another
tenant sees. A route added to the template without a rule (in tests/integration/access/<context>.py,
and in its function) fails."""

from __future__ import annotations

import re

import pytest

from crm.platform.auth import ADMIN, CUSTOMER, ROLES
from infra import template
from tests.integration.access import contexts
from tests.integration.access.roles import ANYONE, CUSTOMERS
from tests.support.lambdas import call, module

# (method, path) -> the roles that may call it, and a body and query that pass validation (so the
# checks below reach authorisation and lookup): the one list of the access rules a reviewer reads.
EXPECTED_ROLES: dict[tuple[str, str], set[str]] = {}
VALID_INPUT: dict[tuple[str, str], dict] = {}
for _context in contexts():
    EXPECTED_ROLES |= _context.ROLES
    VALID_INPUT |= _context.VALID_INPUT

ROUTES = sorted({(r.method, r.path) for r in template.routes()})


def _as(role: str, ids: dict[str, str]) -> dict:
    """call() keywords for a role: a customer's token carries their contact and person."""
    return (
        {"role": role, "email": ids["booker_email"], "contact_id": ids["contact_id"], "person_id": ids["booker_id"]}
        if role == CUSTOMER
        else {"role": role}
    )


def _fill(text: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], text)


def _path(route: tuple[str, str], ids: dict[str, str]) -> str:
    """The route's path with the world's ids; VALID_INPUT's "ids" points a placeholder at another
    object of the world (the job to invoice is a completed one, not the job the jobs routes edit)."""
    chosen = {name: ids[other] for name, other in VALID_INPUT.get(route, {}).get("ids", {}).items()}
    return _fill(route[1], {**ids, **chosen})


def _request(route: tuple[str, str], ids: dict[str, str]) -> dict:
    spec = VALID_INPUT.get(route, {})
    out = {k: v for k, v in spec.items() if k not in ("body", "query", "ids")}
    if "query" in spec:
        out["query"] = {k: _fill(v, ids) if isinstance(v, str) else v for k, v in spec["query"].items()}
    if "body" in spec:
        out["body"] = {
            k: _fill(v, ids)
            if isinstance(v, str)
            else [_fill(x, ids) for x in v]
            if isinstance(v, list) and all(isinstance(x, str) for x in v)
            else v
            for k, v in spec["body"].items()
        }
    return out


def test_every_template_route_has_an_access_rule_here():
    assert set(ROUTES) == set(EXPECTED_ROLES), "a route of template.yaml has no expected roles (or one listed here is gone)"


def test_functions_declare_exactly_these_rules():
    declared: dict[tuple[str, str], set[str]] = {}
    for logical_id in {r.function for r in template.routes()}:
        declared |= {k: set(v) for k, v in module(logical_id).api.rules.items()}
    assert declared == EXPECTED_ROLES


def _probed(context) -> list[tuple[str, str]]:
    """A context's routes in the order one world is probed with them: deletions last, so the
    routes before them reach the objects they name."""
    return sorted(context.ROLES, key=lambda r: (r[0] == "DELETE", r))


def _name(context) -> str:
    return context.__name__.rsplit(".", 1)[-1]


# One world per context and check (not per route): building the world is nearly all of the cost,
# and no check below depends on what an earlier route did to it (a role is let in or refused before
# any lookup; another tenant's and an anonymous caller's requests write nothing, which the last
# check also proves). Every route, every role, both tenants, as before; failures name their route.
CONTEXTS = pytest.mark.parametrize("context", contexts(), ids=_name)


@CONTEXTS
def test_each_role_is_let_in_or_refused(world, context):
    wrong = []
    for route in _probed(context):
        method, path = route
        for role in ROLES:
            reply = call(method, _path(route, world), **_as(role, world), **_request(route, world))
            if role in EXPECTED_ROLES[route] or EXPECTED_ROLES[route] == ANYONE:
                if reply.status in (401, 403):
                    wrong.append(f"{method} {path}: {role} was refused: {reply.body}")
            elif reply.status != 403 or reply.headers["content-type"] != "application/problem+json":
                wrong.append(f"{method} {path}: {role} got {reply.status}: {reply.body}")
            # Refused before validation: a caller without the role learns nothing of the route's input.
            elif (bad := call(method, _path(route, world), **_as(role, world), raw_body="{")).status != 403:
                wrong.append(f"{method} {path}: {role} got {bad.status} for a bad body")
    assert not wrong, "\n".join(wrong)


@CONTEXTS
def test_no_identity_is_unauthorized(world, context):
    wrong = []
    for route in _probed(context):
        method, path = route
        reply = call(method, _path(route, world), anonymous=True, **_request(route, world))
        if reply.status != (200 if EXPECTED_ROLES[route] == ANYONE else 401):
            wrong.append(f"{method} {path}: {reply.status}: {reply.body}")
    assert not wrong, "\n".join(wrong)


# A public route has no tenant to be another of: a slug is global (see test_booking.py).
@CONTEXTS
def test_another_tenants_object_is_not_found(world, context):
    wrong = []
    for route in [r for r in _probed(context) if "{" in r[1] and EXPECTED_ROLES[r] != ANYONE]:
        method, path = route
        role = ADMIN if ADMIN in EXPECTED_ROLES[route] else sorted(EXPECTED_ROLES[route])[0]
        reply = call(method, _path(route, world), tenant="t2", **_as(role, world), **_request(route, world))
        if reply.status != 404:
            wrong.append(f"{method} {path}: {reply.status}: {reply.body}")
    assert not wrong, "\n".join(wrong)
    # ...and the owner still has it, untouched.
    assert call("GET", f"/contacts/{world['contact_id']}").json["version"] == 1


def test_lists_never_show_another_tenants_objects(world):
    for path in ("/contacts", "/contact-groups"):
        assert call("GET", path, tenant="t2", role=ADMIN).json["items"] == []
        assert call("GET", path, role=ADMIN).json["items"] != []
    assert call("GET", "/contacts", tenant="t2", query={"q": "abc"}).json["items"] == []
    assert call("GET", "/settings", tenant="t2", role=ADMIN).json["version"] == 0


def test_customers_reach_only_their_booking_site_routes():
    assert CUSTOMER in ROLES
    customer_routes = {r for r, roles in EXPECTED_ROLES.items() if CUSTOMER in roles}
    assert customer_routes == {r for r in EXPECTED_ROLES if r[1].startswith("/booking/sites/{slug}/")}
    assert all(roles == CUSTOMERS for r, roles in EXPECTED_ROLES.items() if r in customer_routes)


def test_the_template_guards_each_route_with_the_authorizer_its_rule_needs():
    """Public routes skip the authorizer, customer routes take the customer pool's tokens, and
    every other route the staff pool's (the default)."""
    from infra.gateway import api_routes

    for route in api_routes():
        roles = EXPECTED_ROLES[(route.method, route.path)]
        expected = None if roles == ANYONE else "CustomerAuth" if roles == CUSTOMERS else "CognitoAuth"
        assert route.authorizer == expected, f"{route.method} {route.path}"
