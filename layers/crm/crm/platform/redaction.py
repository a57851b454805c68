"""Finding a person in stored values and rewriting them without her (pure: no AWS).

A person is found by her whole name (as words, any case), her email addresses (any case) and her
phone numbers (their digits, whatever the separators: "020 7946 0000" is 02079460000).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

MIN_PHONE_DIGITS = 6  # shorter digit runs are dates, amounts, references: too many false finds
_SEPARATORS = r"[\s.\-()/]{0,3}"


@dataclass(frozen=True)
class Replacement:
    email: str  # replaces her addresses, e.g. an erased-<id>@erased.invalid placeholder
    text: str = "[erased]"  # replaces her name and phone numbers in text


@dataclass(frozen=True)
class Identity:
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # digit strings, each way the number may be written (e.g. 442079460000, 02079460000)

    def merged(self, other: Identity | None) -> Identity:
        """This identity and what `other` (e.g. her former address) adds, this one's first."""
        if other is None:
            return self
        return Identity(
            names=tuple(dict.fromkeys(self.names + other.names)),
            emails=tuple(dict.fromkeys(self.emails + other.emails)),
            phones=tuple(dict.fromkeys(self.phones + other.phones)),
        )

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern, bool]]:
        """(pattern, is an address) for each way she is written, longest first."""
        found: list[tuple[re.Pattern, bool]] = [(re.compile(re.escape(e), re.IGNORECASE), True) for e in self.emails if e]
        for name in sorted({n.strip() for n in self.names if n.strip()}, key=len, reverse=True):
            words = r"\s+".join(re.escape(w) for w in name.split())
            found.append((re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE), False))
        for phone in sorted({p for p in self.phones if len(p) >= MIN_PHONE_DIGITS}, key=len, reverse=True):
            found.append((re.compile(r"(?<!\d)\+?" + _SEPARATORS.join(phone) + r"(?!\d)"), False))
        return found

    def found_in(self, text: str) -> bool:
        return any(pattern.search(text) for pattern, _ in self._patterns)

    def redact(self, value: Any, replacement: Replacement) -> Any:
        """`value` (a string, or lists and maps of them) with every mention of her replaced."""
        if isinstance(value, str):
            for pattern, is_address in self._patterns:
                value = pattern.sub(replacement.email if is_address else replacement.text, value)
            return value
        if isinstance(value, list):
            return [self.redact(v, replacement) for v in value]
        if isinstance(value, dict):
            return {k: self.redact(v, replacement) for k, v in value.items()}
        return value


EMAIL_IN_TEXT = re.compile(r"[^@\s<>()\[\],;:\"']{1,64}@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def addresses_in(text: str) -> set[str]:
    """Every email address written in a free text, lower-cased."""
    return {m.group(0).rstrip(".").lower() for m in EMAIL_IN_TEXT.finditer(text)}
