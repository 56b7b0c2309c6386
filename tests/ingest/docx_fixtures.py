"""The DOCX fixtures: a handbook with a title, headings, lists and a table, and the same
handbook carrying a zip bomb. `add_list` and `add_table` (python-docx) also serve
evals/collections/product/make_docs.py.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tests.ingest.fixture_files import saved, write_file

# --- The facts the tests ask about -----------------------------------------------------------

DOCX_NAME = "field-handbook.docx"
DOCX_SECTION = "Areas of Work › Gender unit"
DOCX_FACT = (
    "The Gender unit runs a confidential helpline for survivors of violence and trains "
    "community mediators in twelve districts."
)
DOCX_QUESTION = "What does the Gender unit run for survivors of violence?"

BOMB_NAME = "bomb.docx"
# The bomb's payload: past the archive limit, yet quick to deflate at level 1 (~1 s, ~1.4 MB).
BOMB_MB = 300

# --- Writing DOCX ----------------------------------------------------------------------------


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


# --- The handbook ----------------------------------------------------------------------------


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
