"""Per-client rate limits of the routes anyone may call: a counter item per client and fixed
window, expired by DynamoDB's TTL, so walking a public route (guessing booking-site slugs) is
slowed to a trickle whatever the number of Lambda instances."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr

from crm.platform import clock, dynamo
from crm.platform.contract import PerClientLimit
from crm.platform.errors import TooManyRequests
from crm.platform.i18n import tr
from crm.platform.keys import anonymous_key


def count(route: str, client: str, limit: PerClientLimit) -> None:
    """Count one request of `client` (its source IP) on `route`; 429 with Retry-After when its
    window is full (nothing counted then)."""
    now = int(clock.now().timestamp())
    start = now - now % limit.seconds
    end = start + limit.seconds
    wait = max(1, end - now)
    full = TooManyRequests(
        tr(
            "at most {most} requests every {seconds} seconds from one client; retry in {wait} s",
            most=limit.requests,
            seconds=limit.seconds,
            wait=wait,
        ),
        headers={"Retry-After": str(wait)},
    )
    dynamo.update_one(
        anonymous_key("RATE", route, client),
        str(start),
        full,
        UpdateExpression="ADD n :one SET expires_at = :expires",
        ConditionExpression=Attr("n").not_exists() | Attr("n").lt(limit.requests),
        ExpressionAttributeValues={":one": 1, ":expires": end + 60},
    )
