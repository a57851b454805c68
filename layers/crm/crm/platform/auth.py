"""Who is calling: the principal read from the verified Cognito token's claims.

API Gateway's Cognito authorizer has verified the token; the handler only reads its claims. The
tenant comes from the `custom:tenant` claim and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.platform.errors import Forbidden, Unauthorized
from crm.platform.i18n import tr

ADMIN, OFFICE, RESOURCE, CUSTOMER = "admin", "office", "resource", "customer"
ROLES = (ADMIN, OFFICE, RESOURCE, CUSTOMER)
STAFF = frozenset({ADMIN, OFFICE})
STAFF_AND_RESOURCES = frozenset({ADMIN, OFFICE, RESOURCE})
ADMINS = frozenset({ADMIN})
CUSTOMERS = frozenset({CUSTOMER})
# A route anyone may call, with no token (its template event says `Auth: Authorizer: NONE`).
ANYONE = "anyone"
PUBLIC = frozenset({ANYONE})


@dataclass(frozen=True)
class Principal:
    tenant: str
    role: str
    user_id: str
    email: str
    # Customers only (the booking site's user pool): the contact and person the login was made for.
    contact_id: str | None = None
    person_id: str | None = None

    @property
    def is_resource(self) -> bool:
        return self.role == RESOURCE

    @property
    def actor(self) -> str:
        """Who did it, as history and notes record it: the (verified) email, else the user id."""
        return self.email or self.user_id


def _groups(raw) -> list[str]:
    # REST API authorizers pass cognito:groups as a string ("a,b" or "[a b]"); tokens hold a list.
    if isinstance(raw, list):
        return raw
    return [g for g in str(raw or "").strip("[]").replace(",", " ").split() if g]


def principal_from_claims(claims: dict | None) -> Principal:
    if not claims:
        raise Unauthorized(tr("no verified identity on the request"))
    tenant = claims.get("custom:tenant")
    if claims.get("custom:contact_id"):
        # Only the customer pool has this attribute: such a token is a customer's, whatever groups
        # it claims (it can only lower privilege), and its contact comes from the token alone.
        if not tenant:
            raise Forbidden(tr("the token carries no tenant"))
        return Principal(
            tenant=tenant,
            role=CUSTOMER,
            user_id=claims.get("sub", ""),
            email=claims.get("email", ""),
            contact_id=claims["custom:contact_id"],
            person_id=claims.get("custom:person_id") or None,
        )
    roles = [g for g in _groups(claims.get("cognito:groups")) if g in ROLES]
    if not tenant or not roles:
        raise Forbidden(tr("the token carries no tenant or no role"))
    # A user in several groups acts with the most privileged one (ROLES is ordered by privilege).
    role = min(roles, key=ROLES.index)
    return Principal(tenant=tenant, role=role, user_id=claims.get("sub", ""), email=claims.get("email", ""))


def authorize(principal: Principal, allowed: frozenset[str]) -> None:
    if principal.role not in allowed:
        raise Forbidden(tr("the {role} role may not call this route", role=principal.role))
