"""CSV and XLSX exports from one set of columns: read back as a spreadsheet user and Excel would
see them (openpyxl for XLSX, the csv module per locale), formula injection neutralised, the row
limit enforced."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from crm.platform.exports import Column, Kind, RowLimitExceeded, write_csv, write_xlsx

COLUMNS = [
    Column("reference", "Référence"),
    Column("lines", "Lignes", Kind.INTEGER),
    Column("total", "Total TTC", Kind.MONEY, currency="EUR"),
    Column("quantity", "Quantité", Kind.DECIMAL, decimals=3),
    Column("tax_rate", "TVA", Kind.PERCENTAGE, decimals=1),
    Column("due", "Échéance", Kind.DATE),
    Column("issued_at", "Émise le", Kind.DATETIME),
]
ROWS = [
    {
        "reference": "INV-000123",
        "lines": 12,
        "total": 194_444,
        "quantity": Decimal("1.5"),
        "tax_rate": "20.0",
        "due": date(2026, 2, 14),
        "issued_at": datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
    },
    {
        "reference": 'Dupont; fils "et" cie\nLyon',
        "lines": None,
        "total": -5,
        "quantity": "0.125",
        "tax_rate": Decimal("5.5"),
        "due": "2026-07-01",
        "issued_at": "2026-07-01T22:15:00Z",  # as stored: an ISO 8601 string, summer time in Paris
    },
]


def csv_rows(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def export_csv(locale: str, rows=ROWS, columns=COLUMNS, **kwargs) -> bytes:
    out = io.BytesIO()
    write_csv(out, columns, rows, locale=locale, max_rows=kwargs.pop("max_rows", 100), time_zone="Europe/Paris", **kwargs)
    return out.getvalue()


def export_xlsx(locale: str = "fr_FR", rows=ROWS, columns=COLUMNS, **kwargs) -> openpyxl.worksheet.worksheet.Worksheet:
    out = io.BytesIO()
    write_xlsx(out, columns, rows, locale=locale, max_rows=kwargs.pop("max_rows", 100), time_zone="Europe/Paris", **kwargs)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue())).active


def test_french_csv_uses_semicolons_and_decimal_commas_and_iso_dates():
    header, first, second = csv_rows(export_csv("fr_FR"), ";")
    assert header == ["Référence", "Lignes", "Total TTC", "Quantité", "TVA", "Échéance", "Émise le"]
    assert first == ["INV-000123", "12", "1944,44", "1,500", "20,0%", "2026-02-14", "2026-01-15 10:30:00"]
    assert second == ['Dupont; fils "et" cie\nLyon', "", "-0,05", "0,125", "5,5%", "2026-07-01", "2026-07-02 00:15:00"]


def test_english_csv_uses_commas_and_decimal_points():
    header, first, _ = csv_rows(export_csv("en_GB"), ",")
    assert first == ["INV-000123", "12", "1944.44", "1.500", "20.0%", "2026-02-14", "2026-01-15 10:30:00"]
    assert len(header) == 7


@pytest.mark.parametrize(
    ("locale", "delimiter", "mark"), [("de_DE", ";", ","), ("de_CH", ",", "."), ("nl_NL", ";", ","), ("en_US", ",", ".")]
)
def test_the_separators_follow_the_locales_decimal_mark_from_babel(locale, delimiter, mark):
    _, first, _ = csv_rows(export_csv(locale), delimiter)
    assert first[2] == f"1944{mark}44"


def test_money_has_as_many_decimals_as_its_currency():
    columns = [Column("yen", "JPY", Kind.MONEY, currency="JPY"), Column("dinar", "KWD", Kind.MONEY, currency="KWD")]
    _, row = csv_rows(export_csv("fr_FR", [{"yen": 1500, "dinar": 1500}], columns), ";")
    assert row == ["1500", "1,500"]
    sheet = export_xlsx(rows=[{"yen": 1500, "dinar": 1500}], columns=columns)
    assert [sheet["A2"].value, sheet["B2"].value] == [1500, 1.5]
    assert "0.00" not in sheet["A2"].number_format and "0.000" in sheet["B2"].number_format


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r", "\uff1d"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_csv(trigger):
    evil = f'{trigger}HYPERLINK("http://evil.example","clic")'
    columns = [Column("name", f"{trigger}header"), Column("total", "Total", Kind.MONEY, currency="EUR")]
    header, row = csv_rows(export_csv("fr_FR", [{"name": evil, "total": -100}], columns), ";")
    assert header[0] == f"'{trigger}header"
    assert row == [f"'{evil}", "-1,00"]  # a negative amount is a number, left as it is


def test_xlsx_cells_are_typed_with_the_readers_formats():
    sheet = export_xlsx()
    assert [cell.value for cell in sheet[1]] == ["Référence", "Lignes", "Total TTC", "Quantité", "TVA", "Échéance", "Émise le"]
    assert all(cell.font.b for cell in sheet[1])
    reference, lines, total, quantity, tax, due, issued = sheet[2]
    assert (reference.value, reference.data_type) == ("INV-000123", "s")
    assert (lines.value, lines.data_type, lines.number_format) == (12, "n", "#,##0")
    assert total.value == 1944.44 and total.data_type == "n" and "€" in total.number_format
    assert quantity.value == 1.5 and quantity.number_format == "#,##0.000"
    assert tax.value == pytest.approx(0.2) and tax.number_format == "0.0%"
    assert due.is_date and due.value == datetime(2026, 2, 14) and due.number_format == "dd\\/mm\\/yyyy"
    assert issued.is_date and issued.value == datetime(2026, 1, 15, 10, 30)  # Paris wall-clock time
    second = sheet[3]
    assert second[1].value is None and second[2].value == -0.05 and second[6].value == datetime(2026, 7, 2, 0, 15)


def test_xlsx_header_is_frozen_filtered_and_columns_sized_to_their_content():
    rows = [{**ROWS[0], "reference": "Contrat de maintenance annuelle des chaudières du site de Lyon"}, ROWS[1]]
    sheet = export_xlsx(rows=rows)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G3"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFG"}
    assert widths["A"] > widths["B"] >= 8  # the long reference is wider than a small number
    assert widths["A"] <= 61  # capped


def test_xlsx_in_english_puts_the_currency_symbol_first_and_dates_month_first():
    sheet = export_xlsx("en_US")
    total, due = sheet["C2"], sheet["F2"]
    assert total.number_format.startswith('"€"#,##0.00') and due.number_format == "m\\/d\\/yyyy"


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    sheet = export_xlsx(rows=[{"reference": "=1+2"}])
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=1+2", "s")


def test_rows_are_read_as_they_are_written_not_all_at_once():
    out = io.BytesIO()
    seen = []

    def rows():
        for i in range(3):
            seen.append(out.tell())
            yield {"reference": f"R{i}"}

    write_csv(out, [Column("reference", "Réf")], rows(), locale="fr_FR", max_rows=10)
    assert seen[0] < seen[1] < seen[2]  # each row was written before the next was asked for


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_more_rows_than_the_limit_is_refused_with_the_limit_named(writer, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = ({"reference": f"R{i}"} for i in range(4))
    with pytest.raises(RowLimitExceeded) as refused:
        writer(io.BytesIO(), [Column("reference", "Réf")], rows, locale="fr_FR", max_rows=3)
    assert refused.value.limit == 3 and refused.value.status == 422
    assert "more than 3 rows" in refused.value.detail
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
    assert writer(io.BytesIO(), [Column("reference", "Réf")], [{"reference": "x"}] * 3, locale="fr_FR", max_rows=3) == 3


def test_a_money_column_needs_its_currency_and_integer_minor_units():
    with pytest.raises(ValueError, match="currency"):
        Column("total", "Total", Kind.MONEY)
    with pytest.raises(TypeError, match="minor units"):
        export_csv("fr_FR", [{"total": 19.99}], [Column("total", "Total", Kind.MONEY, currency="EUR")])


def test_the_workbook_goes_to_a_file_path_too_under_a_sheet_name_excel_accepts(tmp_path):
    path = tmp_path / "factures.xlsx"
    assert write_xlsx(str(path), COLUMNS, ROWS, locale="fr_FR", max_rows=10, sheet_name="Factures [2026/01]: clients * impayés ? oui") == 2
    book = openpyxl.load_workbook(path)
    name = book.sheetnames[0]
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert book[name]["A2"].value == "INV-000123"
