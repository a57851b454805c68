"""PDF/A-3b written by reportlab in the same pass that draws the document (no second pass through
another library): an sRGB output intent, XMP metadata that declares PDF/A-3 level B and repeats the
document information dictionary, embedded fonts only (`fonts`), no encryption, no transparency, no
JavaScript, nothing that varies between two renders of the same document.

Two things reportlab does not do by itself are set once per process when this module is imported:
every stream ends with an end-of-line before `endstream` (ISO 32000-1 7.3.8.1; PDF/A validators
check it; reportlab writes `...data endstream`), and streams are Flate only, not ASCII85 on top
(smaller, faster, and what the factur-x package writes too).

`factur-x` later embeds the invoice's XML through pypdf's `PdfWriter(clone_from=...)`: the catalog
and its /OutputIntents are kept, and the XMP is replaced by its own (pdfaid part 3, conformance B,
plus its extension schema), which the tests check.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import reportlab
from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString, PDFZCompress
from reportlab.pdfgen.canvas import Canvas

CREATOR_TOOL = "Field-service CRM"
PRODUCER = f"ReportLab PDF Library {reportlab.Version}"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


@dataclass(frozen=True)
class DocumentInfo:
    """What the PDF says about itself, in its information dictionary and its XMP alike."""

    title: str
    author: str  # who issues the document: the company's name
    created: datetime  # the document's own date (its issue), never the time of rendering
    subject: str = ""
    keywords: str = ""
    lang: str = "fr-FR"  # BCP 47, the catalog's /Lang

    def __post_init__(self) -> None:
        if self.created.utcoffset() is None:
            raise ValueError("DocumentInfo.created must carry its time zone")


_format_stream = PDFStream.format


def _format_stream_with_eol(self: PDFStream, document: object) -> bytes:
    formatted = _format_stream(self, document)
    return formatted[: -len(b"endstream\n")] + b"\nendstream\n"  # /Length still counts the data only


PDFStream.format = _format_stream_with_eol
rl_config.useA85 = 0


@functools.cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile from LittleCMS (through Pillow), its creation date fixed so that every
    render embeds the same bytes (its MD5 profile id is left unset, so nothing else depends on it)."""
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)
    return bytes(profile)


def _xmp(info: DocumentInfo, stamp: str) -> bytes:
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{escape(info.lang)}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{escape(CREATOR_TOOL)}</xmp:CreatorTool>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
   <pdf:Keywords>{escape(info.keywords)}</pdf:Keywords>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def make_archival(canvas: Canvas, info: DocumentInfo) -> None:
    """Gives `canvas` (made with invariant=1, so that its file identifier is a digest of `info`)
    everything PDF/A-3b asks of the file; call it before `canvas.save()`."""
    created = info.created.astimezone(UTC)
    canvas.setTitle(info.title)
    canvas.setAuthor(info.author)
    canvas.setSubject(info.subject)
    canvas.setKeywords(info.keywords)
    canvas.setCreator(CREATOR_TOOL)
    canvas.setProducer(PRODUCER)
    # the information dictionary's dates: the document's, in the same instant as the XMP's
    canvas.setDateFormatter(lambda *_: created.strftime("D:%Y%m%d%H%M%S+00'00'"))
    catalog = canvas._doc.Catalog
    catalog.__NoDefault__ = [*type(catalog).__NoDefault__, "OutputIntents"]
    catalog.OutputIntents = PDFArray(
        [
            PDFDictionary(
                {
                    "Type": PDFName("OutputIntent"),
                    "S": PDFName("GTS_PDFA1"),
                    "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION),
                    "Info": PDFString(OUTPUT_CONDITION),
                    "RegistryName": PDFString("http://www.color.org"),
                    "DestOutputProfile": PDFStream(PDFDictionary({"N": 3}), srgb_profile(), filters=[PDFZCompress]),
                }
            )
        ]
    )
    xmp = _xmp(info, created.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    catalog.Metadata = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}), xmp)
