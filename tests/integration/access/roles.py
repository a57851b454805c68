"""The role sets the access rules are written with."""

from __future__ import annotations

from crm.platform.auth import ADMIN, CUSTOMER, OFFICE, PUBLIC, RESOURCE

STAFF = {ADMIN, OFFICE}
STAFF_AND_RESOURCES = {ADMIN, OFFICE, RESOURCE}
ADMINS = {ADMIN}
CUSTOMERS = {CUSTOMER}
ANYONE = set(PUBLIC)  # no token at all (the template event says Auth: Authorizer: NONE)
