"""CSV and XLSX files of a list, from one set of column definitions, streamed row by row.

A column has a key (read from each row, a mapping), a header label (already in the reader's
language) and a kind: text, integer, money (integer minor units of the column's currency), decimal,
percentage (25 means 25 %), date, datetime. Values may also come as stored: ISO 8601 strings for
dates and datetimes, decimal strings for decimals; None is an empty cell.

- XLSX (XlsxWriter, constant_memory: one row in memory at a time): typed cells (numbers, money
  with its currency's number format, real dates), a bold frozen header row with an autofilter,
  column widths from the header and the first rows.
- CSV as Excel opens it in the reader's locale: UTF-8 with a BOM; the decimal mark from Babel's
  locale data, and `;` between fields where that mark is a comma (Excel's list separator follows the
  same rule); dates in ISO 8601, which Excel reads as dates in every locale (a `1/2/2026` would be
  read day-first or month-first depending on the reader's settings); text that a spreadsheet would
  run as a formula (`=`, `+`, `-`, `@`, tab, CR first) prefixed with `'` (OWASP CSV injection).
- Both stop at the caller's row limit with `RowLimitExceeded` naming it: the caller pages the
  export or builds it in the background.

Babel and XlsxWriter are imported by the functions that write, so a module may define its columns
at import time without loading them.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import chain, islice
from typing import IO, Any
from zoneinfo import ZoneInfo

from crm.platform.errors import CrmError
from crm.platform.i18n import tr

XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
_WIDTH_SAMPLE = 100  # rows read ahead to size the columns


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    DECIMAL = "decimal"
    PERCENTAGE = "percentage"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # in the reader's language
    kind: Kind = Kind.TEXT
    currency: str | None = None  # MONEY: the ISO 4217 currency of the minor units
    decimals: int = 2  # DECIMAL and PERCENTAGE: places shown

    def __post_init__(self) -> None:
        if self.kind is Kind.MONEY and not (self.currency and len(self.currency) == 3 and self.currency.isalpha()):
            raise ValueError(f"money column {self.key!r} needs its ISO 4217 currency")


class RowLimitExceeded(CrmError):
    status, title = 422, tr("Export too large")

    def __init__(self, limit: int) -> None:
        super().__init__(
            tr("this export has more than {limit} rows, the most one file holds: narrow the filters, or export it in pages", limit=limit)
        )
        self.limit = limit


@dataclass(frozen=True)
class _Reader:
    """What a file's numbers and dates look like to its reader."""

    locale: Any  # babel.Locale
    decimal_mark: str
    percent_sign: str
    time_zone: ZoneInfo

    @classmethod
    def of(cls, locale: str, time_zone: str) -> _Reader:
        from babel import Locale

        parsed = Locale.parse(locale.replace("-", "_"))
        symbols = parsed.number_symbols["latn"]
        return cls(parsed, symbols["decimal"], symbols["percentSign"], ZoneInfo(time_zone))


def _limited(rows: Iterable[Mapping[str, Any]], max_rows: int) -> Iterator[Mapping[str, Any]]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise RowLimitExceeded(max_rows)
        yield row


def _places(column: Column) -> int:
    """How many decimals the minor units of the column's currency stand for (2 for EUR, 0 for JPY)."""
    from babel.numbers import get_currency_precision

    return get_currency_precision(column.currency or "")


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _minor_units(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"money is an integer number of minor units, not {value!r}")
    return value


def _date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _local(value: Any, time_zone: ZoneInfo) -> datetime:
    """A timestamp as the reader's wall clock shows it (a naive one is UTC, as the API stores them)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(time_zone).replace(tzinfo=None)


# --- CSV ------------------------------------------------------------------------------------------

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and their full-width forms


def _neutralised(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _csv_cell(column: Column, reader: _Reader) -> Callable[[Any], str]:
    """The function that writes one column's values as text."""
    mark = reader.decimal_mark

    def number(value: Decimal) -> str:
        return format(value, "f").replace(".", mark)

    if column.kind is Kind.TEXT:
        return lambda value: _neutralised(str(value))
    if column.kind is Kind.INTEGER:
        return lambda value: str(int(value))
    if column.kind is Kind.MONEY:
        places = _places(column)
        return lambda value: number(Decimal(_minor_units(value)).scaleb(-places))
    quantum = Decimal(1).scaleb(-column.decimals)
    if column.kind is Kind.DECIMAL:
        return lambda value: number(_decimal(value).quantize(quantum, ROUND_HALF_UP))
    if column.kind is Kind.PERCENTAGE:
        return lambda value: number(_decimal(value).quantize(quantum, ROUND_HALF_UP)) + reader.percent_sign
    if column.kind is Kind.DATE:
        return lambda value: _date(value).isoformat()
    return lambda value: _local(value, reader.time_zone).isoformat(sep=" ", timespec="seconds")


class _Utf8:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))


def write_csv(
    out: IO[bytes], columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, locale: str, max_rows: int, time_zone: str = "UTC"
) -> int:
    """Writes the CSV file of `rows` to `out` (binary) and returns how many rows it holds."""
    reader = _Reader.of(locale, time_zone)
    cells = [(column.key, _csv_cell(column, reader)) for column in columns]
    writer = csv.writer(_Utf8(out), delimiter=";" if reader.decimal_mark == "," else ",", lineterminator="\r\n")
    out.write(codecs.BOM_UTF8)
    writer.writerow([_neutralised(column.label) for column in columns])
    count = 0
    for row in _limited(rows, max_rows):
        writer.writerow(["" if (value := row.get(key)) is None else cell(value) for key, cell in cells])
        count += 1
    return count


# --- XLSX -----------------------------------------------------------------------------------------

_CLDR_TO_EXCEL = {"d": "d", "dd": "dd", "M": "m", "MM": "mm", "MMM": "mmm", "MMMM": "mmmm", "y": "yyyy", "yy": "yyyy", "yyyy": "yyyy"}
_CLDR_TIME_TO_EXCEL = {"H": "h", "HH": "hh", "h": "h", "hh": "hh", "m": "mm", "mm": "mm", "s": "ss", "ss": "ss", "a": "AM/PM"}


def _excel_pattern(cldr: str, tokens: Mapping[str, str]) -> str:
    """A CLDR date or time pattern ("dd/MM/y", "h:mm a") as an Excel number format ("dd\\/mm\\/yyyy"):
    every literal escaped, years always in four digits."""
    parts, i = [], 0
    while i < len(cldr):
        if cldr[i] == "'":  # 'quoted literal'
            end = cldr.index("'", i + 1)
            literal, i = cldr[i + 1 : end] or "'", end + 1
        elif cldr[i].isalpha():
            run = len(cldr) - i - len(cldr[i:].lstrip(cldr[i]))
            piece, i = cldr[i : i + run], i + run
            if piece not in tokens:
                raise ValueError(f"no Excel equivalent for {piece!r} in {cldr!r}")
            parts.append(tokens[piece])
            continue
        else:
            literal, i = cldr[i], i + 1
        parts.extend("\\" + (" " if c.isspace() else c) for c in literal)
    return "".join(parts)


def _excel_format(cldr: str, tokens: Mapping[str, str], fallback: str) -> str:
    try:
        return _excel_pattern(cldr, tokens)
    except ValueError:  # a field Excel has no code for (an era, a week number): ISO 8601 instead
        return fallback


def _quoted(text: str) -> str:
    return f'"{text}"' if text else ""


def _money_format(column: Column, locale: Any) -> str:
    """Excel's number format for the column's currency as the reader writes it: "1 944,44 €", "€1,944.44"."""
    from babel.numbers import get_currency_symbol

    places = _places(column)
    digits = "#,##0" + ("." + "0" * places if places else "")
    pattern = locale.currency_formats["standard"]
    symbol = get_currency_symbol(column.currency or "", locale)

    def side(text: str) -> str:
        return _quoted(text.replace("¤", symbol))

    positive = side(pattern.prefix[0]) + digits + side(pattern.suffix[0])
    negative = side(pattern.prefix[1]) + digits + side(pattern.suffix[1])
    return f"{positive};{negative}"


class _XlsxColumn:
    """How one column's values become cells: a format, a writer, and a width from what it shows."""

    def __init__(self, column: Column, workbook: Any, reader: _Reader) -> None:
        locale = reader.locale
        self.key, self.label = column.key, column.label
        self.display = _csv_cell(column, reader)  # a cell's text as shown, to size the column
        kind = column.kind
        if kind is Kind.TEXT:
            self.format, self.kind = None, "string"
            self.value: Callable[[Any], Any] = str
        elif kind is Kind.INTEGER:
            self.format, self.kind, self.value = workbook.add_format({"num_format": "#,##0"}), "number", int
        elif kind is Kind.MONEY:
            scale = 10 ** _places(column)
            self.format, self.kind = workbook.add_format({"num_format": _money_format(column, locale)}), "number"
            self.value = lambda value: _minor_units(value) / scale
        elif kind in (Kind.DECIMAL, Kind.PERCENTAGE):
            places = "0." + "0" * column.decimals if column.decimals else "0"
            percent = kind is Kind.PERCENTAGE
            self.format, self.kind = workbook.add_format({"num_format": places + "%" if percent else "#,##" + places}), "number"
            self.value = (lambda value: float(_decimal(value)) / 100) if percent else (lambda value: float(_decimal(value)))
        else:
            date_format = _excel_format(locale.date_formats["short"].pattern, _CLDR_TO_EXCEL, "yyyy\\-mm\\-dd")
            if kind is Kind.DATE:
                self.format, self.kind, self.value = workbook.add_format({"num_format": date_format}), "datetime", _date
            else:
                time_format = _excel_format(locale.time_formats["short"].pattern, _CLDR_TIME_TO_EXCEL, "hh:mm")
                self.format, self.kind = workbook.add_format({"num_format": f"{date_format}\\ {time_format}"}), "datetime"
                self.value = lambda value: _local(value, reader.time_zone)

    def width(self, sample: Sequence[Mapping[str, Any]]) -> float:
        shown = [len(self.display(v)) + (2 if self.kind == "number" else 0) for row in sample if (v := row.get(self.key)) is not None]
        return min(60, max(8, len(self.label) + 4, *(n + 2 for n in shown)))


def _sheet_name(name: str) -> str:
    cleaned = "".join(c for c in name if c not in "[]:*?/\\").strip("'")
    return cleaned[:31] or "Export"


def write_xlsx(
    out: IO[bytes] | str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    locale: str,
    max_rows: int,
    time_zone: str = "UTC",
    sheet_name: str = "Export",
) -> int:
    """Writes the XLSX workbook of `rows` to `out` (a binary file object or a path) and returns how
    many rows it holds. Rows are written as they come, with temporary files of its own (removed
    even when the row limit stops it)."""
    import xlsxwriter

    reader = _Reader.of(locale, time_zone)
    rows = _limited(rows, min(max_rows, XLSX_MAX_ROWS))
    with tempfile.TemporaryDirectory(prefix="xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": scratch})
        sheet = workbook.add_worksheet(_sheet_name(sheet_name))
        specs = [_XlsxColumn(column, workbook, reader) for column in columns]
        sample = list(islice(rows, _WIDTH_SAMPLE))
        bold = workbook.add_format({"bold": True, "bottom": 1})
        for i, spec in enumerate(specs):
            sheet.set_column(i, i, spec.width(sample))
            sheet.write_string(0, i, spec.label, bold)
        sheet.freeze_panes(1, 0)
        writers = [(spec.key, spec.value, getattr(sheet, "write_" + spec.kind), spec.format) for spec in specs]
        count = 0
        for count, row in enumerate(chain(sample, rows), start=1):
            for i, (key, value, write, cell_format) in enumerate(writers):
                raw = row.get(key)
                if raw is not None:
                    write(count, i, value(raw), cell_format)
        sheet.autofilter(0, 0, count, len(specs) - 1)
        workbook.close()
    return count
