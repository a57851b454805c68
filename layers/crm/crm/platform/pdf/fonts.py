"""The PDFs' one font family: reportlab's bundled Bitstream Vera, registered as TrueType so that the
glyphs a document uses are embedded in it. The standard-14 fonts (Helvetica, Times...) are never
embedded, which makes a PDF non-PDF/A: nothing here or in the layout names them.

Vera covers Latin-1, œ/Œ, €, typographic quotes and dashes, but not the narrow no-break space
(U+202F) that Babel puts in French numbers (`1 944,44 €`) nor a few other spaces and hyphens: those
are drawn with the glyph of their plain counterpart (reportlab does the same for U+00A0), and the
PDF's text layer keeps the character the caller wrote. A character the font lacks altogether would
show as an empty box (.notdef, itself forbidden by PDF/A): `printable` replaces it by its base
letter (ő -> o) or by `?`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "CrmSans"
BOLD = "CrmSans-Bold"
ITALIC = "CrmSans-Italic"
BOLD_ITALIC = "CrmSans-BoldItalic"

# What an SVG names for each: the same family where the reader has it, a sans-serif otherwise.
SVG_FAMILY = "'Bitstream Vera Sans', 'DejaVu Sans', Verdana, sans-serif"

_FILES = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf", BOLD_ITALIC: "VeraBI.ttf"}

# character -> the character whose glyph draws it
_ALIASES = {
    0x202F: 0x20,  # narrow no-break space (Babel's French group separator and before %)
    0x2007: 0x20,  # figure space
    0x2008: 0x20,  # punctuation space
    0x2009: 0x20,  # thin space
    0x200A: 0x20,  # hair space
    0x2010: 0x2D,  # hyphen
    0x2011: 0x2D,  # non-breaking hyphen
}


def _register() -> frozenset[int]:
    folder = Path(reportlab.__file__).parent / "fonts"
    covered: set[int] = set()
    for name, file in _FILES.items():
        font = TTFont(name, str(folder / file))
        face = font.face
        for alias, model in _ALIASES.items():
            if alias not in face.charToGlyph and model in face.charToGlyph:
                face.charToGlyph[alias] = face.charToGlyph[model]
                face.charWidths[alias] = face.charWidths[model]
        pdfmetrics.registerFont(font)
        if name == REGULAR:
            covered = set(face.charToGlyph)
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD_ITALIC)):
        addMapping(REGULAR, bold, italic, name)  # <b> and <i> in a Paragraph pick the right face
    return frozenset(covered)


_COVERED = _register()


class _Fallbacks(dict[int, int | str]):
    """A str.translate table filled on first sight of each character: itself when the font has it."""

    def __missing__(self, code: int) -> int | str:
        if code in _COVERED or code in (0x0A, 0x0D):  # line breaks are the layout's to handle
            value: int | str = code
        elif unicodedata.category(chr(code)) == "Cf":  # zero-width and other format characters
            value = ""
        elif unicodedata.category(chr(code)).startswith(("C", "Z")):  # controls, other spaces
            value = " "
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if ord(c) in _COVERED and not unicodedata.combining(c))
            value = base or "?"
        self[code] = value
        return value


_FALLBACKS = _Fallbacks()


def printable(text: str) -> str:
    """`text` with every character the font cannot draw replaced by one it can."""
    return text.translate(_FALLBACKS)
