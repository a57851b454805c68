"""`make messages`: the texts of the code into the gettext catalogues a translator edits, and back.

Two catalogues ("domains"), each extracted from its code by pybabel, merged into every language's
.po (pybabel update; init for a new language), and compiled:

  messages  tr(...) and tr_n(...) in layers/crm/crm/          -> layers/crm/crm/locale/<lang>/LC_MESSAGES/messages.po
            (emails, problem details, documents)                  compiled to messages.mo, shipped in the layer
  booking   t(...), N_(...) in web/booking/*.js, data-i18n of  -> web/locale/<lang>/LC_MESSAGES/booking.po
            web/booking/*.html (the booking site)                 compiled to web/booking/locale/<lang>.json

English is the source language (the msgids); every other language of crm.platform.i18n.LOCALES
has a catalogue. tests/unit/test_catalogues.py fails when a message has no translation or a
compiled file is stale, so run this after changing texts, then translate what it added.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.pofile import read_po

from crm.platform.i18n.locales import LOCALES, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"


@dataclass(frozen=True)
class Domain:
    name: str
    sources: Path  # where the code is
    keywords: tuple[str, ...]  # pybabel keyword specs
    catalogues: Path  # <catalogues>/<lang>/LC_MESSAGES/<name>.po, and <catalogues>/<name>.pot

    @property
    def template(self) -> Path:
        return self.catalogues / f"{self.name}.pot"

    def po(self, language: str) -> Path:
        return self.catalogues / language / "LC_MESSAGES" / f"{self.name}.po"


SERVER = Domain("messages", ROOT / "layers/crm/crm", ("tr", "tr_n:1,2"), ROOT / "layers/crm/crm/locale")
BOOKING = Domain("booking", ROOT / "web/booking", ("t", "N_", "label:2"), ROOT / "web/locale")
DOMAINS = (SERVER, BOOKING)
SITE_MESSAGES = ROOT / "web/booking/locale"  # the booking site's compiled catalogues: <lang>.json


def languages() -> list[str]:
    """The catalogue languages: every supported locale's language but the source (English)."""
    return sorted({tag.split("-")[0] for tag in LOCALES} - {SOURCE_LANGUAGE})


# ---------------------------------------------------------------- the booking page's HTML


class _Texts(HTMLParser):
    """The text of every element marked `data-i18n` (such an element holds text only)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._open: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if any(name == "data-i18n" for name, _ in attrs):
            self._open = (self.getpos()[0], [])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None:
            line, parts = self._open
            self.found.append((line, " ".join("".join(parts).split())))
            self._open = None


def extract_html(fileobj, keywords, comment_tags, options):
    """pybabel extractor (babel.cfg): (line, function, message, comments) per data-i18n element."""
    parser = _Texts()
    parser.feed(fileobj.read().decode(options.get("encoding", "utf-8")))
    for line, text in parser.found:
        if text:
            yield line, None, text, []


# ---------------------------------------------------------------- extraction, for the tests


def extracted(domain: Domain) -> Catalog:
    """What the code says now, extracted as pybabel does (without writing anything)."""
    with open(MAPPING, encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords: dict[str, tuple | None] = {}
    for spec in domain.keywords:
        name, _, positions = spec.partition(":")
        keywords[name] = tuple(int(p) for p in positions.split(",")) if positions else None
    catalog = Catalog()
    for _, _, message, _, _ in extract_from_dir(str(domain.sources), method_map, options_map, keywords=keywords):
        catalog.add(message, None, [])
    return catalog


def read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f)


def site_messages(po: Catalog) -> dict[str, str]:
    """The booking site's catalogue as its page loads it: msgid -> translation, translated ones only."""
    return {m.id: m.string for m in po if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


# ---------------------------------------------------------------- make messages


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def _same_texts(a: Path, b: Path) -> bool:
    """Whether two templates hold the same messages (their dates aside)."""
    return b.exists() and [(m.id, m.locations) for m in read(a)] == [(m.id, m.locations) for m in read(b)]


def update(domain: Domain) -> None:
    """Extract the domain's texts; when they changed (or a language has no catalogue yet), merge
    them into every language's .po. Unchanged texts leave the files alone (no new dates to commit)."""
    domain.catalogues.mkdir(parents=True, exist_ok=True)
    fresh = domain.template.with_suffix(".pot.new")
    keywords = [arg for spec in domain.keywords for arg in ("-k", spec)]
    _pybabel(
        "extract",
        "-F",
        str(MAPPING),
        "--no-default-keywords",
        *keywords,
        "--add-location=file",
        "--sort-output",
        "--no-wrap",
        "--project=crm",
        "-o",
        str(fresh.relative_to(ROOT)),
        str(domain.sources.relative_to(ROOT)),
    )
    if _same_texts(fresh, domain.template) and all(domain.po(language).exists() for language in languages()):
        fresh.unlink()
        return
    fresh.replace(domain.template)
    for language in languages():
        if domain.po(language).exists():
            _pybabel(
                "update",
                "-i",
                str(domain.template),
                "-D",
                domain.name,
                "-d",
                str(domain.catalogues),
                "-l",
                language,
                "--no-wrap",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-i", str(domain.template), "-D", domain.name, "-d", str(domain.catalogues), "-l", language, "--no-wrap")


def compile_all() -> None:
    _pybabel("compile", "-D", SERVER.name, "-d", str(SERVER.catalogues))
    SITE_MESSAGES.mkdir(exist_ok=True)
    for language in languages():
        text = json.dumps(site_messages(read(BOOKING.po(language))), ensure_ascii=False, indent=1, sort_keys=True)
        (SITE_MESSAGES / f"{language}.json").write_text(text + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    os.chdir(ROOT)  # locations in the catalogues read relative to the repository
    if "--compile-only" not in argv:
        for domain in DOMAINS:
            update(domain)
    compile_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
