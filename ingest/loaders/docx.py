"""DOCX (python-docx): body paragraphs and tables in reading order, under their heading path.

Lists read as "- item" or "1. item", one item a line; a table reads one row a line, as
"Header: value; Header: value" when its first row names the columns. Page headers, footers,
comments and footnotes are left out. The archive is checked for zip bombs before python-docx
opens it; run untrusted files through `ingest.loaders.sandbox` (the registry does).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from askdocs.errors import UnreadableFileError
from askdocs.ingest.loaders.archive import check_archive
from askdocs.ingest.loaders.decode import title_from_path
from askdocs.ingest.loaders.markdown import SECTION_SEPARATOR, table_text
from askdocs.ingest.models import Block, LoadedFile

# Tables nested in table cells deeper than this are read as their cells' plain text.
MAX_TABLE_DEPTH = 3

_W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def load_docx(path: Path) -> LoadedFile:
    """Load a Word document: headings become section paths; lists and tables stay readable."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from lxml.etree import LxmlError
    except ImportError:
        raise UnreadableFileError(
            str(path), "DOCX support needs python-docx: pip install python-docx"
        ) from None
    check_archive(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, LxmlError) as exc:
        raise UnreadableFileError(str(path), f"malformed DOCX: {exc}") from exc
    reader = _BodyReader(_numbering_formats(document))
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            reader.table(item)
        else:
            reader.paragraph(item)
    reader.flush_list()
    title = (document.core_properties.title or "").strip() or reader.title
    return LoadedFile(title=title or title_from_path(path), blocks=reader.blocks)


class _BodyReader:
    """Turns body items into blocks, tracking the heading path and the list being read."""

    def __init__(self, formats: dict[tuple[str, int], str]) -> None:
        self.formats = formats
        self.blocks: list[Block] = []
        self.title = ""
        self._headings: list[tuple[int, str]] = []
        self._items: list[str] = []  # the list being read, one item a line
        self._counters: dict[tuple[str, int], int] = {}

    @property
    def section(self) -> str | None:
        return SECTION_SEPARATOR.join(name for _, name in self._headings) or None

    def paragraph(self, paragraph: Any) -> None:
        text = " ".join(paragraph.text.split())
        if not text:
            return
        style = _style_name(paragraph)
        level = _heading_level(paragraph, style)
        if style.casefold() == "title" and not self.title:
            self.title = text
        marker = None if level is not None else self._list_marker(paragraph, style)
        if marker is not None:
            self._items.append(marker + text)
            return
        self.flush_list()
        if level is not None:
            self.title = self.title or text
            while self._headings and self._headings[-1][0] >= level:
                self._headings.pop()
            self._headings.append((level, text))
        self.blocks.append(Block(text, section=self.section))

    def table(self, table: Any) -> None:
        self.flush_list()
        text = _table_text(table, depth=0)
        if text:
            self.blocks.append(Block(text, section=self.section))

    def flush_list(self) -> None:
        if self._items:
            self.blocks.append(Block("\n".join(self._items), section=self.section))
            self._items = []

    def _list_marker(self, paragraph: Any, style: str) -> str | None:
        """ "- " or "N. " for a list item, None for an ordinary paragraph."""
        numbering = _numbering(paragraph)
        if numbering is None:
            return "- " if style.casefold().startswith("list bullet") else None
        num_id, level = numbering
        fmt = self.formats.get((num_id, level))
        if fmt is None:
            fmt = "decimal" if "number" in style.casefold() else "bullet"
        if fmt in ("bullet", "none"):
            return "- "
        # Word numbers a list across interruptions; a deeper level restarts under each item.
        for key in [k for k in self._counters if k[0] == num_id and k[1] > level]:
            del self._counters[key]
        count = self._counters.get((num_id, level), 0) + 1
        self._counters[(num_id, level)] = count
        return f"{count}. "


def _style_name(paragraph: Any) -> str:
    try:
        return str(paragraph.style.name or "") if paragraph.style is not None else ""
    except (KeyError, ValueError, AttributeError):
        return ""


def _heading_level(paragraph: Any, style: str) -> int | None:
    """1-based heading level from the style ("Heading 2") or an explicit outline level."""
    match = _HEADING_STYLE.match(style)
    if match:
        return int(match.group(1))
    levels = _xpath(paragraph._p, "./w:pPr/w:outlineLvl/@w:val")
    if not levels and paragraph.style is not None:
        levels = _xpath(paragraph.style.element, "./w:pPr/w:outlineLvl/@w:val")
    if levels and str(levels[0]).isdigit() and int(levels[0]) < 9:  # 9 means body text
        return int(levels[0]) + 1
    return None


def _numbering(paragraph: Any) -> tuple[str, int] | None:
    """(numId, level) when the paragraph, or its style, is a numbered or bulleted list item."""
    num_ids = _xpath(paragraph._p, "./w:pPr/w:numPr/w:numId/@w:val")
    levels = _xpath(paragraph._p, "./w:pPr/w:numPr/w:ilvl/@w:val")
    if not num_ids and paragraph.style is not None:
        num_ids = _xpath(paragraph.style.element, "./w:pPr/w:numPr/w:numId/@w:val")
        levels = levels or _xpath(paragraph.style.element, "./w:pPr/w:numPr/w:ilvl/@w:val")
    if not num_ids or str(num_ids[0]) == "0":  # numId 0 switches numbering off
        return None
    level = int(levels[0]) if levels and str(levels[0]).isdigit() else 0
    return str(num_ids[0]), level


def _numbering_formats(document: Any) -> dict[tuple[str, int], str]:
    """numFmt ("bullet", "decimal", ...) of each (numId, level) defined in numbering.xml."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for node in _xpath(numbering, "./w:abstractNum"):
        levels: dict[int, str] = {}
        for lvl in _xpath(node, "./w:lvl"):
            ilvl, kind = _xpath(lvl, "./@w:ilvl"), _xpath(lvl, "./w:numFmt/@w:val")
            if ilvl and kind and str(ilvl[0]).isdigit():
                levels[int(ilvl[0])] = str(kind[0])
        for key in _xpath(node, "./@w:abstractNumId"):
            abstract[str(key)] = levels
    formats: dict[tuple[str, int], str] = {}
    for num in _xpath(numbering, "./w:num"):
        num_id, ref = _xpath(num, "./@w:numId"), _xpath(num, "./w:abstractNumId/@w:val")
        if num_id and ref:
            for level, fmt in abstract.get(str(ref[0]), {}).items():
                formats[(str(num_id[0]), level)] = fmt
    return formats


def _xpath(element: Any, expr: str) -> list[Any]:
    """XPath with the w: prefix on any element (python-docx's own `xpath` knows only some)."""
    from lxml import etree

    return list(etree._Element.xpath(element, expr, namespaces=_W))


def _table_text(table: Any, depth: int) -> str:
    """The table one row a line (see `table_text`); a merged cell is read once."""
    rows: list[list[str]] = []
    for row in table.rows:
        seen: list[Any] = []
        cells: list[str] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats across the span
                continue
            seen.append(cell._tc)
            cells.append(_cell_text(cell, depth))
        rows.append(cells)
    return table_text(rows)


def _cell_text(cell: Any, depth: int) -> str:
    parts = [" ".join(p.text.split()) for p in cell.paragraphs]
    if depth < MAX_TABLE_DEPTH:
        parts += [_table_text(t, depth + 1).replace("\n", "; ") for t in cell.tables]
    return " ".join(part for part in parts if part)
