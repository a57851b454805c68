"""DynamoDB keys and writes of the booking site. The only module that knows these keys.

Items:
  site config  PK=T#t#BOOKINGSITE#<contact>      SK=BOOKINGSITE   the contact's booking site
  slug         PK=BOOKINGSLUG#<slug>             SK=SLUG          tenant, contact_id
  rate counter PK=T#t#BOOKINGRATE#<person>       SK=<window start> n, expires_at (TTL)

The slug item is the one key in the table that does not start with the tenant, on purpose: a slug
is unique across every account (it is a public URL, /booking/<slug>), and an anonymous visitor
arrives with nothing but the slug, so it must be found without a tenant. It holds only the
mapping slug -> (tenant, contact) and is read by `site_by_slug` alone; everything it leads to is
then read through tenant-prefixed keys.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from crm.platform import aws, dynamo
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

SITE, SLUG = "BOOKINGSITE", "SLUG"


def _site_pk(tenant: str, contact_id: str) -> str:
    return tenant_key(tenant, "BOOKINGSITE", contact_id)


def _slug_pk(slug: str) -> str:
    return f"BOOKINGSLUG#{slug}"  # not tenant-prefixed: see the module docstring


def _rate_pk(tenant: str, person_id: str) -> str:
    return tenant_key(tenant, "BOOKINGRATE", person_id)


def get_site(tenant: str, contact_id: str) -> dict | None:
    item = dynamo.get(_site_pk(tenant, contact_id), SITE)
    return dynamo.from_item(item) if item else None


def site_by_slug(slug: str) -> tuple[str, str] | None:
    """(tenant, contact_id) that owns the slug, or None."""
    item = dynamo.get(_slug_pk(slug), SLUG)
    return (item["tenant"], item["contact_id"]) if item else None


def save_site(tenant: str, old: dict | None, new: dict) -> None:
    """Write `new` over `old` (None: a first save), claiming its slug and releasing the old one."""
    site = {**dynamo.to_item(new), "PK": _site_pk(tenant, new["contact_id"]), "SK": SITE}
    stale = PreconditionFailed(tr("the booking site changed since you read it; reload it and apply your change again"))
    condition = Attr("PK").not_exists() if old is None else Attr("version").eq(old["version"])
    steps: list[tuple[dict, Exception | None]] = [(dynamo.put(site, ConditionExpression=condition), stale)]
    if old is None or old["slug"] != new["slug"]:
        claim = {"PK": _slug_pk(new["slug"]), "SK": SLUG, "tenant": tenant, "contact_id": new["contact_id"]}
        taken = Conflict(tr("the address '{slug}' is taken; choose another", slug=new["slug"]))
        steps.append((dynamo.put(claim, ConditionExpression=Attr("PK").not_exists()), taken))
        if old is not None:
            owned = Attr("tenant").eq(tenant) & Attr("contact_id").eq(new["contact_id"])
            steps.append((dynamo.delete(_slug_pk(old["slug"]), SLUG, ConditionExpression=owned), None))
    dynamo.transact_explained(steps)


def delete_site(tenant: str, site: dict) -> None:
    """Delete the site config as read (`site`, at its version) and release its slug, together. The
    slug claim goes only if it is still this contact's; already gone is fine."""
    stale = PreconditionFailed(tr("the booking site changed while it was deleted"))
    owned = Attr("tenant").eq(tenant) & Attr("contact_id").eq(site["contact_id"])
    dynamo.transact_explained(
        [
            (dynamo.delete(_site_pk(tenant, site["contact_id"]), SITE, ConditionExpression=Attr("version").eq(site["version"])), stale),
            (dynamo.delete(_slug_pk(site["slug"]), SLUG, ConditionExpression=Attr("PK").not_exists() | owned), None),
        ]
    )


def count_request(tenant: str, person_id: str, window_start: int, window_end: int, limit: int) -> bool:
    """Count one booking request in the person's window; False (nothing counted) when the window
    already holds `limit`. The item expires (TTL) a day after its window."""
    try:
        aws.table().update_item(
            Key={"PK": _rate_pk(tenant, person_id), "SK": str(window_start)},
            UpdateExpression="ADD n :one SET expires_at = :expires",
            ConditionExpression=Attr("n").not_exists() | Attr("n").lt(limit),
            ExpressionAttributeValues={":one": 1, ":expires": window_end + 86400},
        )
    except ClientError as e:
        if dynamo.error_code(e) == "ConditionalCheckFailedException":
            return False
        raise
    return True
