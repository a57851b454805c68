"""Monthly charts: bars and lines from the same series render as SVG (parsed back here) and inside
a PDF; labels come from the caller's formatters; an empty chart says so."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from crm.platform import pdf
from crm.platform.charts import PALETTE, Series, ValueAxis, monthly_chart, to_svg
from tests.support.documents import fonts, page_texts

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [date(2026, m, 1) for m in range(1, 7)]
FRENCH_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin"]


def euros(minor: float) -> str:
    return f"{minor / 100:,.0f} €".replace(",", "\u202f")


def month(m: date) -> str:
    return f"{FRENCH_MONTHS[m.month - 1]} {m.year}"


def chart(**kwargs):
    arguments = {
        "month_label": month,
        "value_axis": ValueAxis(euros),
        "no_data": "Aucune opportunité ouverte",
        "title": "Opportunités ouvertes par mois de clôture",
    }
    return monthly_chart(MONTHS, **(arguments | kwargs))


def svg(drawing) -> ET.Element:
    return ET.fromstring(to_svg(drawing).encode())  # noqa: S314 (our own output)


def fill(colour) -> str:
    return "rgb({}%,{}%,{}%)".format(*(int(c * 100) for c in (colour.red, colour.green, colour.blue)))  # as renderSVG writes it


def rects_of(root: ET.Element, colour) -> int:
    return sum(1 for rect in root.iter(f"{SVG}rect") if fill(colour) in rect.get("style", ""))


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bars_one_per_month_with_a_value_each_series_its_colour_and_a_legend():
    raw = Series("Valeur", [1_200_000, 450_000, None, 300_000, 0, 800_000])
    weighted = Series("Valeur pondérée", [600_000, 225_000, None, 150_000, 0, 400_000])
    root = svg(chart(bars=[raw, weighted]))
    # a bar per month with a value (a zero draws a flat bar; None none), plus the legend's swatch
    assert rects_of(root, PALETTE[0]) == 5 + 1
    assert rects_of(root, PALETTE[1]) == 5 + 1
    labels = texts(root)
    assert {"Valeur", "Valeur pondérée", "Opportunités ouvertes par mois de clôture"} <= set(labels)
    assert [month(m) for m in MONTHS] == [t for t in labels if t in {month(m) for m in MONTHS}]
    ticks = [t for t in labels if t.endswith("€")]
    assert ticks == ["0 €", "5\u202f000 €", "10\u202f000 €", "15\u202f000 €"]  # round steps past the 12 000 € top, formatted by the caller


def test_a_line_on_its_own_scale_beside_the_bars_and_broken_where_a_month_has_no_value():
    count = Series("Nombre", [3, 1, None, 2, 0, 4])
    root = svg(
        chart(
            bars=[Series("Valeur", [1_200_000, 450_000, None, 300_000, 0, 800_000])],
            lines=[count],
            line_axis=ValueAxis(lambda v: f"{v:g} opp."),
        )
    )
    assert len(list(root.iter(f"{SVG}polyline"))) == 2  # march has no value: the line stops and starts again
    labels = texts(root)
    assert "4 opp." in labels and "0 opp." in labels
    assert all(float(t.split()[0]).is_integer() for t in labels if t.endswith("opp."))  # a count's ticks are whole


def test_a_line_chart_alone_shares_the_value_axis():
    root = svg(chart(lines=[Series("Gagnées", [100_00, 250_00, 50_00, 0, 0, 10_00])]))
    assert rects_of(root, PALETTE[0]) == 0
    assert "250 €" in texts(root)


@pytest.mark.parametrize(
    ("months", "bars"),
    [
        ([], []),
        (MONTHS, []),
        (MONTHS, [Series("Valeur", [None] * 6)]),
        (MONTHS, [Series("Valeur", [0] * 6)]),
    ],
    ids=["no month", "no series", "no value", "only zeros"],
)
def test_a_chart_with_nothing_to_show_says_so(months, bars):
    drawing = monthly_chart(months, month_label=month, value_axis=ValueAxis(euros), bars=bars, no_data="Aucune opportunité ouverte")
    root = svg(drawing)
    assert "Aucune opportunité ouverte" in texts(root)
    assert not any(fill(c) in r.get("style", "") for c in PALETTE for r in root.iter(f"{SVG}rect"))


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="5 values for 6 months"):
        chart(bars=[Series("Valeur", [1, 2, 3, 4, 5])])


def test_the_same_chart_goes_into_a_pdf_as_text_in_the_embedded_font():
    drawing = chart(
        bars=[Series("Valeur", [1_200_000, 450_000, None, 300_000, 0, 800_000])], lines=[Series("Nombre", [3, 1, None, 2, 0, 4])]
    )
    data = pdf.render(
        pdf.DocumentInfo("Projection", "ACME", datetime(2026, 1, 1, tzinfo=UTC)),
        pdf.PageSetup(pdf.Letterhead("ACME")),
        [pdf.title("Projection"), drawing],
    )
    text = page_texts(data)[0]
    assert all(month(m) in text for m in MONTHS) and "Valeur Nombre" in text and "15 000 €" in text
    assert {name.split("+")[1] for name in fonts(data)} <= {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold"}
