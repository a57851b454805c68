"""The document layout: a lines table that continues across pages under its header, "page N of M",
the letterhead and footer, French text drawn with real glyphs and read back as written."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from crm.platform import pdf
from crm.platform.pdf.fonts import REGULAR, printable
from crm.platform.pdf.typeset import wrap
from tests.support.documents import (
    FOOTER,
    INVOICE_COLUMNS,
    LEGAL_MENTIONS,
    invoice,
    normalised,
    notdef_codes,
    page_texts,
    png,
    raw_page_texts,
)


@pytest.fixture(scope="module")
def long_invoice() -> bytes:
    return pdf.render(*invoice(120))


def test_a_120_line_table_continues_over_three_pages_under_its_repeated_header(long_invoice):
    pages = page_texts(long_invoice)
    assert len(pages) == 3
    header = normalised(" ".join(label for label, _, _ in INVOICE_COLUMNS))
    for number, text in enumerate(pages, start=1):
        assert header in text, f"page {number} lacks the table's header row"
        assert f"Page {number} sur 3" in text
    lines = [int(n) for n in re.findall(r"Ligne (\d{3})", " ".join(pages))]
    assert lines == list(range(1, 121))  # every line once, in order, none lost at a page break
    assert all(re.search(r"Ligne \d{3}", text) for text in pages)
    assert "Total TTC 27 999,94 €" in pages[-1]


def test_a_row_of_a_few_lines_is_never_cut_at_a_page_break():
    rows = [[f"Poste {i:02d} début\nPoste {i:02d} milieu\nPoste {i:02d} fin", "1,00 €"] for i in range(1, 61)]
    info, setup, story = invoice(
        0, extra=(pdf.lines_table([pdf.TableColumn("Désignation", 4), pdf.TableColumn("Total", 1, "right")], rows),)
    )
    pages = page_texts(pdf.render(info, setup, story))
    assert len(pages) > 1
    for text in pages:
        for i in {int(n) for n in re.findall(r"Poste (\d{2})", text)}:
            assert f"Poste {i:02d} début Poste {i:02d} milieu Poste {i:02d} fin" in text


def test_a_line_longer_than_a_page_continues_on_the_next_one():
    description = "\n".join(f"Relevé {i:03d} du compteur" for i in range(1, 151))
    info, setup, story = invoice(
        0, extra=(pdf.lines_table([pdf.TableColumn("Désignation", 4), pdf.TableColumn("Total", 1, "right")], [[description, "10,00 €"]]),)
    )
    pages = page_texts(pdf.render(info, setup, story))
    assert len(pages) >= 3 and all("Désignation Total" in text for text in pages[1:])
    assert [int(n) for n in re.findall(r"Relevé (\d{3})", " ".join(pages))] == list(range(1, 151))


def test_the_letterhead_heads_the_first_page_and_the_next_ones_name_company_and_document(long_invoice):
    first, *others = page_texts(long_invoice)
    assert "Plomberie Dupont SAS 12 rue des Lilas 75011 Paris" in first
    for text in others:
        assert "Plomberie Dupont SAS" in text and "Facture INV-000123" in text
        assert "12 rue des Lilas" not in text
    for text in (first, *others):
        assert normalised(FOOTER) in text


def test_every_legal_mention_can_be_read_back_from_the_pdf(long_invoice):
    text = page_texts(long_invoice)[-1]
    for mention in LEGAL_MENTIONS.split("\n"):
        assert normalised(mention) in text


def test_french_text_is_drawn_with_glyphs_and_reads_back_as_written():
    french = "Société Générale d'Équipement : où l'on Œuvre à Noël, façon « cœur » – 1\u202f944,44\u00a0€"
    info, setup, story = invoice(
        1, extra=(pdf.text(french), pdf.lines_table([pdf.TableColumn("Montant", align="right")], [["1\u202f944,44\u00a0€"]]))
    )
    data = pdf.render(info, setup, story)
    assert notdef_codes(data) == []  # no character fell back to the font's empty box
    text = " ".join(raw_page_texts(data))
    assert normalised(french) in normalised(text)
    assert "1\u202f944,44" in text  # a table cell keeps Babel's narrow no-break space in the text layer


def test_characters_the_font_lacks_become_their_base_letter_or_a_question_mark_not_a_box():
    assert printable("Łódź, Hőgyes, Ştefan ✓\u200b") == "Łódz, Hogyes, Ştefan ?"
    info, setup, story = invoice(1, extra=(pdf.text("Łódź, Hőgyes ✓"),))
    data = pdf.render(info, setup, story)
    assert notdef_codes(data) == []
    assert "Łódz, Hogyes ?" in page_texts(data)[0]


def test_text_is_plain_text_never_markup():
    info, setup, story = invoice(1, extra=(pdf.text("Remise <b>spéciale</b> & frais < 5 €"), pdf.title("A & B <i>")))
    text = page_texts(pdf.render(info, setup, story))[0]
    assert "Remise <b>spéciale</b> & frais < 5 €" in text and "A & B <i>" in text


def test_a_transparent_logo_is_drawn_flattened_on_white_and_no_larger_than_needed():
    info, setup, story = invoice(1, logo=png((4000, 1600), (0, 0, 0, 0)))
    with pikepdf.open(io.BytesIO(pdf.render(info, setup, story))) as document:
        [image] = [obj for obj in document.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image]
        assert "/SMask" not in image and image.ColorSpace == pikepdf.Name.DeviceRGB
        assert int(image.Width) <= 600  # thumbnailed to 300 dpi of the 45 mm it may take
        assert [colour for _, colour in pikepdf.PdfImage(image).as_pil_image().getcolors()] == [(255, 255, 255)]  # transparent is white


def test_a_document_without_logo_or_footer_still_has_its_page_label():
    info, _, story = invoice(1)
    data = pdf.render(info, pdf.PageSetup(pdf.Letterhead("ACME")), story)
    assert "ACME" in page_texts(data)[0] and "1 / 1" in page_texts(data)[0]


def test_wrap_breaks_at_plain_spaces_only_and_cuts_a_word_longer_than_a_line():
    amount = "1\u202f944\u202f444,44\u00a0€"
    lines = wrap(f"Total dû {amount} au titre du contrat", 90, REGULAR, 8.5)
    assert any(line.startswith(amount) for line in lines)  # never broken inside
    assert all(stringWidth(line, REGULAR, 8.5) <= 90 for line in lines)
    long = wrap("Réf" + "X" * 60, 50, REGULAR, 8.5)
    assert len(long) > 1 and "".join(long) == "Réf" + "X" * 60
    assert all(stringWidth(line, REGULAR, 8.5) <= 50 for line in long)
    assert wrap("deux\nlignes", 500, REGULAR, 8.5) == ["deux", "lignes"]
