"""A person's booking-site login in the customer user pool: the one module that calls Cognito.

A login's username is the person's email address; its attributes tie it to one tenant, contact and
person, so it belongs to the person: the people context revokes it (a person deleted or erased,
their access withdrawn, their address changed), and the booking context, above it, opens it (an
invitation).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from crm.platform import aws, settings
from crm.platform.errors import Conflict
from crm.platform.i18n import tr


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _attributes(user: dict) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("UserAttributes", user.get("Attributes", []))}


def open_login(tenant: str, contact_id: str, person_id: str, email: str, password: str) -> bool:
    """Create the person's login with this temporary password, or give their existing login (this
    very person's) the password again and enable it. Returns True when the login existed."""
    cognito, pool = aws.client("cognito-idp"), settings.customer_user_pool_id()
    wanted = {"custom:tenant": tenant, "custom:contact_id": contact_id, "custom:person_id": person_id}
    try:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",  # the booking service sends the invitation, with the site's address
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
            + [{"Name": k, "Value": v} for k, v in wanted.items()],
        )
        return False
    except ClientError as e:
        if _code(e) != "UsernameExistsException":
            raise
    existing = _attributes(cognito.admin_get_user(UserPoolId=pool, Username=email))
    if any(existing.get(k) != v for k, v in wanted.items()):
        raise Conflict(tr("this email address already signs in to another booking site; give the person another address"))
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=False)
    cognito.admin_enable_user(UserPoolId=pool, Username=email)
    return True


def revoke_login(tenant: str, person: dict, *, delete: bool = True) -> bool:
    """Disable the login at `person`'s email address, then delete it (unless `delete` is False: a
    later invitation enables it again). Only this person's login is touched: the same address may
    sign in as a person of another account. Returns True when there was such a login."""
    email = person.get("email")
    if not email:
        return False  # a login's username is an email address: none, no login
    cognito, pool = aws.client("cognito-idp"), settings.customer_user_pool_id()
    try:
        user = _attributes(cognito.admin_get_user(UserPoolId=pool, Username=email))
        if user.get("custom:tenant") != tenant or user.get("custom:person_id") != person["id"]:
            return False
        cognito.admin_disable_user(UserPoolId=pool, Username=email)
        if delete:
            cognito.admin_delete_user(UserPoolId=pool, Username=email)
    except ClientError as e:
        if _code(e) == "UserNotFoundException":
            return False  # never invited, or revoked already
        raise
    return True
