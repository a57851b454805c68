"""boto3 clients and the DynamoDB table, built lazily once per container (never at import time),
and safe to share between the threads of a process.

boto3 clients are thread-safe once built, but building them from the shared default session is
not: each is built from a session of its own, under a lock. A DynamoDB *resource* is not
thread-safe at all: it builds every request's expressions with one builder per client, reset at
the start of each request, so two threads sharing it rewrite each other's conditions
(boto/boto3#1332). Each thread gets a Table of its own; in a Lambda container that is one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache, update_wrapper
from typing import Any, Generic, TypeVar

import boto3
from botocore.config import Config

# Lambda gives us seconds, not minutes: fail fast and let adaptive retries absorb throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "adaptive", "max_attempts": 4})
# botocore presigns S3 URLs and POST policies with Signature Version 2 unless told otherwise, and
# S3 refuses SigV2 on every bucket created since June 2020.
_SERVICE_CONFIGS = {"s3": _CONFIG.merge(Config(signature_version="s3v4"))}
_building = threading.Lock()

T = TypeVar("T")


class _PerThread(Generic[T]):
    """Like functools.cache on a function without arguments, with one value per thread;
    `cache_clear()` makes every thread build its value again (a new container's environment)."""

    def __init__(self, build: Callable[[], T]):
        self._build = build
        self._local = threading.local()
        self._generation = 0
        update_wrapper(self, build)

    def __call__(self) -> T:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            local.value = self._build()
            local.generation = self._generation
        return local.value

    def cache_clear(self) -> None:
        self._generation += 1


@cache
def client(service: str) -> Any:
    with _building:
        return boto3.session.Session().client(service, config=_SERVICE_CONFIGS.get(service, _CONFIG))


def _table() -> Any:
    from crm.platform import settings

    with _building:
        return boto3.session.Session().resource("dynamodb", config=_CONFIG).Table(settings.table_name())


table = _PerThread(_table)
