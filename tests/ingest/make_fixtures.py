"""Generate the small real files the format tests ingest (no binaries are committed).

    python tests/ingest/make_fixtures.py DIR     # writes every fixture into DIR

Good files: a four-page PDF whose answer is on page 3 (with an outline), a DOCX with a title,
headings, lists and a table, an HTML page wrapped in navigation, cookie-banner and footer
boilerplate, and a Markdown guide with a list and a code block. Bad files: a PDF with no text
layer (a drawn rectangle), a password-protected PDF, a PDF cut in half and a DOCX carrying a
zip bomb. The PDFs are written by hand (objects, xref, trailer) so the test data does not
depend on a PDF library's writer; pypdf only adds the outline and the encryption.

Also here: two misbehaving loaders for the sandbox tests. They live in this light module, not
in the test file, because a sandbox worker imports the module of the loader it runs.
"""

from __future__ import annotations

import io
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from askdocs.ingest.models import Block, LoadedFile

# --- The facts the tests ask about -----------------------------------------------------------

PDF_NAME = "annual-report.pdf"
PDF_PAGE3_FACT = (
    "The Kestrel Bay treatment plant processed an average of 48 million litres of drinking "
    "water per day in 2023, up from 41 million litres in 2022."
)
PDF_PAGE3_QUESTION = "How many litres of drinking water did the Kestrel Bay plant process per day?"
DOCX_NAME = "field-handbook.docx"
DOCX_SECTION = "Areas of Work › Gender unit"
DOCX_FACT = (
    "The Gender unit runs a confidential helpline for survivors of violence and trains "
    "community mediators in twelve districts."
)
DOCX_QUESTION = "What does the Gender unit run for survivors of violence?"
HTML_NAME = "observatory.html"
MARKDOWN_NAME = "deploy-guide.md"

SCANNED_NAME = "scanned.pdf"
ENCRYPTED_NAME = "locked.pdf"
TRUNCATED_NAME = "truncated.pdf"
BOMB_NAME = "bomb.docx"
# What each bad file's skip reason starts with.
BAD_REASONS = {
    SCANNED_NAME: "no text layer, skipped",
    ENCRYPTED_NAME: "encrypted PDF: cannot read without the password",
    TRUNCATED_NAME: "malformed PDF: ",
    BOMB_NAME: "refused: archive expands to ",
}
# The bomb's payload: past the archive limit, yet quick to deflate at level 1 (~1 s, ~1.4 MB).
BOMB_MB = 300

# Files no loader can read, each with (part of) the reason given for skipping it.
UNREADABLE: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n ", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("latin1.txt", "caf\u00e9 cr\u00e8me".encode("latin-1"), "not valid UTF-8"),
]

# --- Writing files ---------------------------------------------------------------------------


def saved(save: Callable[[BinaryIO], object]) -> bytes:
    """What `save` (a PDF writer's `write`, a document's `save`) writes, as bytes."""
    out = io.BytesIO()
    save(out)
    return out.getvalue()


def write_file(path: Path, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `path` and return the path."""
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def add_list(doc: Any, items: Iterable[str], numbered: bool = False) -> None:
    """A python-docx bullet (or numbered) list, one paragraph per item."""
    for item in items:
        doc.add_paragraph(item, style="List Number" if numbered else "List Bullet")


def add_table(doc: Any, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A python-docx table: a header row, then `rows`."""
    table = doc.add_table(rows=1, cols=len(header))
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


# --- PDF -------------------------------------------------------------------------------------

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


# --- DOCX ------------------------------------------------------------------------------------


def _handbook_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = "Field Office Handbook"
    doc.add_paragraph("Field Office Handbook", style="Title")
    doc.add_paragraph(
        "This handbook introduces new staff to the work of the Northfield field office."
    )
    doc.add_heading("Areas of Work", level=1)
    doc.add_paragraph("The office is organised in units, each with its own programme.")
    doc.add_heading("Gender unit", level=2)
    doc.add_paragraph(DOCX_FACT)
    doc.add_paragraph("Its priorities for the year are:")
    add_list(
        doc,
        (
            "opening two new safe houses",
            "training police officers in survivor-centred interviewing",
            "publishing the district violence survey",
        ),
    )
    doc.add_heading("Water and sanitation unit", level=2)
    doc.add_paragraph(
        "The Water and sanitation unit drills boreholes and repairs hand pumps in rural "
        "villages, working with local water committees."
    )
    doc.add_heading("Getting started", level=1)
    doc.add_paragraph("On your first day, follow these steps:")
    add_list(
        doc, ("collect your badge at reception", "attend the security briefing"), numbered=True
    )
    doc.add_heading("Contacts", level=1)
    add_table(
        doc,
        ("Unit", "Head", "Extension"),
        [
            ("Gender unit", "Amina Diallo", "214"),
            ("Water and sanitation unit", "Pieter de Vries", "238"),
        ],
    )
    return saved(doc.save)


def write_handbook_docx(folder: Path) -> Path:
    """Title, two heading levels, a bullet list, a numbered list and a table."""
    return write_file(folder / DOCX_NAME, _handbook_docx())


def write_bomb_docx(folder: Path, payload_mb: int = BOMB_MB) -> Path:
    """A real DOCX plus one part of `payload_mb` MB of zeros that deflates to ~1/200th."""
    path = folder / BOMB_NAME
    with (
        zipfile.ZipFile(io.BytesIO(_handbook_docx())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb,
    ):
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        zeros = bytes(1 << 20)
        with bomb.open("word/media/padding.bin", "w", force_zip64=True) as part:
            for _ in range(payload_mb):
                part.write(zeros)
    return path


# --- HTML and Markdown -----------------------------------------------------------------------

_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Visiting the Observatory | Northfield Science Park</title>
  <style>body { font-family: sans-serif; }</style>
  <script>window.dataLayer = [{"event": "tracking-pageview"}];</script>
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <div id="cookie-consent" class="cookie-banner">
    <p>We use cookies to improve your experience. By continuing you accept our cookie policy.</p>
    <button>Accept all cookies</button>
  </div>
  <header class="site-header">
    <a href="/"><img src="logo.png" alt="Northfield Science Park"></a>
    <nav>
      <ul><li><a href="/">Home</a></li><li><a href="/visit">Plan your visit</a></li>
      <li><a href="/shop">Gift shop menu</a></li></ul>
    </nav>
  </header>
  <div class="promo-banner">Members get 20% off in the gift shop this month!</div>
  <main id="main">
    <h1>Visiting the Observatory</h1>
    <p>The Northfield Observatory houses a 60-centimetre reflecting telescope built in 1932.</p>
    <h2>Opening hours</h2>
    <p>The observatory is open to visitors on Friday and Saturday evenings from 8 pm until
       midnight, weather permitting.</p>
    <div class="note">Stargazing sessions are cancelled when the sky is overcast.</div>
    <h2>Tickets</h2>
    <p>Adult tickets cost 12 euros.</p>
    <h3>Discounts</h3>
    <ul>
      <li>Children under twelve enter free of charge.</li>
      <li>Students pay 6 euros with a valid card.</li>
    </ul>
    <table>
      <tr><th>Ticket</th><th>Price</th></tr>
      <tr><td>Family pass</td><td>30 euros</td></tr>
    </table>
  </main>
  <aside><h2>Related</h2><p>Read our blog about the history of the park.</p></aside>
  <footer><p>Copyright 2024 Northfield Science Park. All rights reserved.</p></footer>
  <script src="analytics.js"></script>
</body>
</html>
"""

_MARKDOWN = """---
title: Deployment guide
---
# Deployment guide

This guide explains how to deploy the **Tern** service on a single Linux host.

## Requirements

- Python 3.11 or newer
- 2 GB of free disk space
- a user account with `sudo` rights

## Installing

Install the package, then start the service:

```bash
pip install tern-service
# the service listens on port 7300 by default
tern serve --port 7300
```

### Configuration

Settings are read from [the configuration file](https://example.org/config) at
`/etc/tern/tern.toml`. Restart the service after every change.
"""


def write_observatory_html(folder: Path) -> Path:
    """Main content under h1/h2/h3, wrapped in nav, header, banners, aside and footer."""
    return write_file(folder / HTML_NAME, _HTML)


def write_deploy_markdown(folder: Path) -> Path:
    """Front matter, headings, a list, a fenced code block with a `#` comment, a link."""
    return write_file(folder / MARKDOWN_NAME, _MARKDOWN)


# --- Everything ------------------------------------------------------------------------------

GOOD: list[Callable[[Path], Path]] = [
    write_report_pdf,
    write_handbook_docx,
    write_observatory_html,
    write_deploy_markdown,
]
BAD: list[Callable[[Path], Path]] = [
    write_scanned_pdf,
    write_encrypted_pdf,
    write_truncated_pdf,
    write_bomb_docx,
]


def make_all(folder: Path) -> list[Path]:
    """Write every good and bad fixture into `folder` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write(folder) for write in GOOD + BAD]


# --- Misbehaving loaders for the sandbox tests ------------------------------------------------


def sleepy_loader(path: Path) -> LoadedFile:
    """A parser stuck in a loop: never returns on its own."""
    time.sleep(3600)
    return LoadedFile(title=path.name, blocks=[])


def greedy_loader(path: Path) -> LoadedFile:
    """A parser inflating a bomb: keeps allocating 64 MB buffers."""
    hoard = []
    for _ in range(10_000):
        hoard.append(bytearray(64 << 20))
    return LoadedFile(title=path.name, blocks=[Block(str(len(hoard)))])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/ingest/make_fixtures.py DIR")
    for written in make_all(Path(sys.argv[1])):
        print(written)
