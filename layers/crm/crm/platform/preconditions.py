"""ETags and If-Match (RFC 9110 13.1.1): an item's version is its strong ETag, `"3"`.

If-Match uses the strong comparison: a weak tag (`W/"3"`) matches nothing. `*` matches any
current representation, and a list matches when one of its tags does; both are settled by the
HTTP edge, which reads the current ETag and hands the route the one tag it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm.platform.errors import PreconditionFailed, PreconditionRequired
from crm.platform.i18n import tr

_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


def etag(version: int) -> str:
    return f'"{version}"'


def no_match() -> PreconditionFailed:
    return PreconditionFailed(tr("If-Match does not match the current version"))


@dataclass(frozen=True)
class IfMatch:
    any: bool  # `*`
    versions: frozenset[int]  # the strong tags that name a version

    @property
    def settled(self) -> bool:
        """One version named: the write is simply conditional on it, with no read first."""
        return not self.any and len(self.versions) == 1

    def matches(self, current: int | None) -> bool:
        """Against the current version (None: there is no current representation)."""
        return current is not None and (self.any or current in self.versions)


def parse(header: str) -> IfMatch:
    """`*`, or a comma-separated list of entity tags; weak and malformed tags match nothing."""
    if header.strip() == "*":
        return IfMatch(any=True, versions=frozenset())
    versions = set()
    for part in header.split(","):
        m = _TAG.fullmatch(part)
        if m and not m.group(1) and m.group(2).isdigit():
            versions.add(int(m.group(2)))
    return IfMatch(any=False, versions=frozenset(versions))


def expected_version(header: str | None) -> int:
    """The version a write is conditional on: the one strong tag If-Match names (428 without it)."""
    if not header:
        raise PreconditionRequired(tr("send If-Match with the ETag you read, so no one else's change is lost"))
    parsed = parse(header)
    if not parsed.settled:
        raise no_match()
    (version,) = parsed.versions
    return version


def version_of(etag_header: str | None) -> int | None:
    """The version an ETag response header names (None when it has none)."""
    parsed = parse(etag_header or "")
    return next(iter(parsed.versions)) if parsed.settled else None
