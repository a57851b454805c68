"""The only place a DynamoDB key's tenant prefix is composed.

Every partition and GSI key starts with `T#<tenant>#`, so no query can reach another tenant's
items. Repositories build their keys through `tenant_key` and nothing else. The exceptions are
named: `anonymous_key` for what is counted about callers with no tenant at all (a public route's
per-client rate), which never holds a tenant's data, and the booking site's global slug (see
crm.booking.repository).
"""

from __future__ import annotations

SEP = "#"


def tenant_key(tenant: str, *parts: str) -> str:
    if not tenant or SEP in tenant:
        raise ValueError("a tenant id is required and may not contain '#'")
    return SEP.join(("T", tenant, *parts))


def tenant_of(key: str) -> str:
    return key.split(SEP, 2)[1]


def anonymous_key(*parts: str) -> str:
    """A key about a caller with no tenant (e.g. a source IP on a public route)."""
    return SEP.join(("ANON", *parts))
