"""The PDF fixtures: a four-page report whose answer is on page 3 (with a title and an
outline), and three bad PDFs: one with no text layer (a drawn rectangle), one protected by a
password and one cut in half. The PDFs are written by hand (objects, xref, trailer) so the
test data does not depend on a PDF library's writer; pypdf only adds the outline and the
encryption.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from tests.ingest.fixture_files import saved, write_file

# --- The facts the tests ask about -----------------------------------------------------------

PDF_NAME = "annual-report.pdf"
PDF_PAGE3_FACT = (
    "The Kestrel Bay treatment plant processed an average of 48 million litres of drinking "
    "water per day in 2023, up from 41 million litres in 2022."
)
PDF_PAGE3_QUESTION = "How many litres of drinking water did the Kestrel Bay plant process per day?"

SCANNED_NAME = "scanned.pdf"
ENCRYPTED_NAME = "locked.pdf"
TRUNCATED_NAME = "truncated.pdf"

# --- The report ------------------------------------------------------------------------------

_REPORT_PAGES = [
    (
        "Harbour Point Water Utility",
        [
            "Annual Report 2023",
            "Harbour Point Water Utility is a public company owned by the four municipalities "
            "of the Harbour Point region. It supplies drinking water to 310,000 residents and "
            "collects and treats their wastewater.",
            "This report describes the governance of the utility, the operation of its plants "
            "and the finances of the year.",
        ],
    ),
    (
        "1. Governance",
        [
            "The board of directors has seven members. Four are appointed by the municipalities "
            "and three are independent experts chosen for their knowledge of engineering, "
            "public health and finance.",
            "The board met nine times in 2023 and approved a new asset management strategy.",
        ],
    ),
    (
        "2. Operations",
        [
            PDF_PAGE3_FACT,
            "Leakage in the distribution network fell to 14 percent of water put into supply "
            "after the replacement of 23 kilometres of cast iron mains.",
            "Water quality samples met the national drinking water standard in 99.96 percent "
            "of tests.",
        ],
    ),
    (
        "3. Finances",
        [
            "Revenue from water charges rose to 61 million euros. Capital investment reached "
            "38 million euros, most of it in network renewal.",
            "Net debt at the end of the year was 212 million euros.",
        ],
    ),
]


def _pdf_escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _text_stream(heading: str, paragraphs: list[str]) -> bytes:
    """A page content stream: the heading, then paragraphs wrapped at ~80 characters the way
    PDF lines are (one text line per `T*`), a blank line between paragraphs."""
    lines = [heading, ""]
    for paragraph in paragraphs:
        lines += [*textwrap.wrap(paragraph, 80), ""]
    ops = [b"BT /F1 11 Tf 14 TL 56 770 Td"]
    ops += [b"(" + _pdf_escape(line) + b") Tj T*" for line in lines]
    return b"\n".join([*ops, b"ET"])


def pdf_bytes(contents: list[bytes], fonts: tuple[str, ...] = ("Helvetica",)) -> bytes:
    """A minimal valid PDF with one page per content stream; `fonts` are /F1, /F2, ..."""
    n = len(contents)
    font = 3 + 2 * n
    resources = b" ".join(b"/F%d %d 0 R" % (i + 1, font + i) for i in range(len(fonts)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
        + b"] /Count %d >>" % n,
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << %s >> >> /Contents %d 0 R >>" % (resources, 4 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    objects.extend(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s >>" % name.encode() for name in fonts
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _report_pdf() -> bytes:
    """The report with a title and an outline (one entry per chapter), via pypdf."""
    from pypdf import PdfReader, PdfWriter

    plain = pdf_bytes([_text_stream(h, ps) for h, ps in _REPORT_PAGES])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.add_metadata({"/Title": "Harbour Point Water Utility Annual Report 2023"})
    for page, (heading, _) in enumerate(_REPORT_PAGES[1:], start=1):
        writer.add_outline_item(title=heading, page_number=page)
    return saved(writer.write)


def write_report_pdf(folder: Path) -> Path:
    """Four pages; the Kestrel Bay figure is on page 3."""
    return write_file(folder / PDF_NAME, _report_pdf())


def write_scanned_pdf(folder: Path) -> Path:
    """A page holding only a filled rectangle, like a scan with no text layer."""
    return write_file(folder / SCANNED_NAME, pdf_bytes([b"0.2 0.4 0.8 rg 100 400 300 200 re f"]))


def write_encrypted_pdf(folder: Path) -> Path:
    """The report, readable only with the user password "secret" (RC4, no extra packages)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_report_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    return write_file(folder / ENCRYPTED_NAME, saved(writer.write))


def write_truncated_pdf(folder: Path) -> Path:
    """The report cut in half, like an interrupted download."""
    data = _report_pdf()
    return write_file(folder / TRUNCATED_NAME, data[: len(data) // 2])
