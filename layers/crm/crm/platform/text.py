"""Text folding for search: case- and accent-insensitive ("Société" is found by "soc")."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
