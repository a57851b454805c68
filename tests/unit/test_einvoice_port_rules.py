"""E-invoicing rules without AWS: the hardened XML reading, a received invoice's amounts checked to
the cent, the platform lifecycle merged idempotently, what is a services invoice."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.finance.einvoice import received_parsing as parsing
from crm.finance.einvoice.ereporting import nature
from crm.finance.einvoice.port import StatusEvent
from crm.finance.einvoice.submissions import is_services, merged_statuses
from crm.platform.errors import Invalid

FIXTURES = Path(__file__).parents[1] / "fixtures" / "einvoice"
CII = (FIXTURES / "factur-x-en16931.xml").read_bytes()


def _refusal(data: bytes) -> str:
    with pytest.raises(Invalid) as caught:
        parsing.bill_fields(parsing.read(data))
    return caught.value.errors[0].message


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.com/r.dtd"><r/>',
        b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
        b"<?xml version='1.0' encoding='UTF-16'?>".decode().encode("utf-16")
        + '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'.encode("utf-16-le"),
    ],
)
def test_a_doctype_is_refused_before_anything_is_expanded_or_fetched(xml):
    assert "DTD" in _refusal(xml)


def test_a_cii_without_its_profile_is_a_422_not_a_crash():
    cii = b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    assert "GuidelineSpecifiedDocumentContextParameter" in _refusal(cii)


def test_the_package_fixture_reads_to_the_cent():
    bill = parsing.bill_fields(parsing.read(CII))
    assert (bill["net"], bill["tax"], bill["gross"], bill["due"]) == (10000, 490, 10490, 10490)
    assert sum(line["net"] for line in bill["lines"]) == 9500  # 95.00 of lines, +14.00 charges -9.00 allowances


@pytest.mark.parametrize(
    ("old", "new", "term"),
    [
        (b"<ram:LineTotalAmount>60.00</ram:LineTotalAmount>", b"<ram:LineTotalAmount>60.01</ram:LineTotalAmount>", "BT-106"),
        (b"<ram:GrandTotalAmount>104.90</ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>104.91</ram:GrandTotalAmount>", "BT-112"),
        (b"<ram:DuePayableAmount>104.90</ram:DuePayableAmount>", b"<ram:DuePayableAmount>100.00</ram:DuePayableAmount>", "BT-115"),
    ],
)
def test_amounts_that_do_not_add_up_are_refused_naming_the_total(old, new, term):
    assert old in CII
    assert term in _refusal(CII.replace(old, new, 1))


def test_the_lifecycle_keeps_each_status_first_time_and_reason():
    record = {"status": "submitted", "submitted_at": "2026-12-01T10:00:00Z", "version": 1}
    events = [
        StatusEvent("submitted", "2026-12-01T10:00:00Z"),
        StatusEvent("refused", "2026-12-01T11:00:00Z", "no purchase order"),
    ]
    merged = merged_statuses(record, events)
    assert (merged["status"], merged["refused_at"], merged["refused_reason"]) == ("refused", "2026-12-01T11:00:00Z", "no purchase order")
    again = merged_statuses(merged, [*events[:1], StatusEvent("refused", "2026-12-02T09:00:00Z", "other")])
    assert again == merged  # polled again: nothing moves
    paid = merged_statuses({**record, "approved_at": "2026-12-01T11:00:00Z"}, [StatusEvent("paid", "2026-12-01T11:00:00Z")])
    assert paid["status"] == "paid"  # the same second: the one further along


def test_services_and_goods():
    labour, part = {"kind": "free"}, {"kind": "stock"}
    assert is_services({"lines": [labour]}) and is_services({"lines": [part, labour]}) and not is_services({"lines": [part]})
    assert [nature({"lines": lines}) for lines in ([labour], [part], [part, labour])] == ["services", "goods", "both"]


def test_a_schematron_that_stops_on_a_value_is_uncheckable_not_a_crash(tmp_path):
    from crm.finance.einvoice import schematron

    xslt = tmp_path / "casts.xslt"  # a rule casting what the file holds, as the schematrons' XPath 2 rules do
    xslt.write_text(
        '<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xsl:template match="/"><r><xsl:value-of select="xs:integer(/a)"/></r></xsl:template></xsl:stylesheet>'
    )
    with pytest.raises(schematron.Uncheckable, match="Cannot convert"):
        schematron.failures("<a>douze</a>", xslt)
    assert schematron.failures("<a>12</a>", xslt) == []
