"""boto3 clients, built lazily once per container (never at import time)."""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

# Lambda gives us seconds, not minutes: fail fast and let adaptive retries absorb throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "adaptive", "max_attempts": 4})


@cache
def client(service: str):
    return boto3.client(service, config=_CONFIG)


@cache
def table():
    from crm.platform import settings

    return boto3.resource("dynamodb", config=_CONFIG).Table(settings.table_name())
