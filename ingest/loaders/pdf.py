"""PDF (pypdf): one block per page, numbered from 1, under the outline entry that covers it.

No OCR: a PDF whose pages hold no text (a scan) is skipped with a reason. Encrypted PDFs are
read only when they open with the empty user password. Run untrusted files through
`ingest.loaders.sandbox` (the registry does): pypdf can be made to loop or allocate at will.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from askdocs.errors import UnreadableFileError
from askdocs.ingest.loaders.decode import title_from_path
from askdocs.ingest.loaders.markdown import SECTION_SEPARATOR
from askdocs.ingest.models import Block, LoadedFile

# Readers look for the end-of-file marker in the last KB (PDF 1.7, 7.5.5); a file without one
# is nearly always an interrupted download or copy, and pypdf's repairs of such a file may
# silently drop its last pages.
EOF_WINDOW = 1024
# Outline entries read for section paths; a real table of contents is far shorter.
MAX_OUTLINE_ENTRIES = 5000
# A line shorter than this share of the document's typical line width ends its paragraph
# (or is a heading): the text was wrapped by the layout, not by the author.
SHORT_LINE = 0.7

_SENTENCE_END = re.compile(r"[.!?:][\"')\]”’]*$")
_LIST_ITEM = re.compile(r"^(?:[•▪◦‣∙·\-–*]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s)")


def load_pdf(path: Path) -> LoadedFile:
    """Load a PDF's text, one block per page with its page number and outline section."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, PyPdfError
    except ImportError:
        raise UnreadableFileError(str(path), "PDF support needs pypdf: pip install pypdf") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair notes are not ours to show
    _check_envelope(path)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            _decrypt(reader, path, DependencyError)
        texts = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFileError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # pypdf signals broken structure with many exception types; all mean the same here.
        raise UnreadableFileError(str(path), f"malformed PDF: {exc}") from exc
    if not any(text.strip() for text in texts):
        raise UnreadableFileError(str(path), "no text layer, skipped")
    sections = _page_sections(reader, len(texts))
    width = _typical_width(texts)
    blocks = [
        Block(unwrap(text, width), section=sections[i], page=i + 1)
        for i, text in enumerate(texts)
        if text.strip()
    ]
    return LoadedFile(
        title=_title(reader) or title_from_path(path), blocks=blocks, pages=len(texts)
    )


def _check_envelope(path: Path) -> None:
    """Refuse files that are no PDF or that end before the end-of-file marker."""
    try:
        with path.open("rb") as file:
            head = file.read(EOF_WINDOW)
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - EOF_WINDOW))
            tail = file.read()
    except OSError as exc:
        raise UnreadableFileError(str(path), f"cannot read file ({exc.strerror})") from exc
    if b"%PDF-" not in head:
        raise UnreadableFileError(str(path), "malformed PDF: no %PDF header, not a PDF file")
    if b"%%EOF" not in tail:
        raise UnreadableFileError(
            str(path), "malformed PDF: the file is truncated (no %%EOF marker at its end)"
        )


def _decrypt(reader: Any, path: Path, dependency_error: type[Exception]) -> None:
    """Open an encrypted PDF that needs no user password; refuse one that does."""
    try:
        opened = reader.decrypt("")
    except dependency_error as exc:  # AES without the `cryptography` package
        raise UnreadableFileError(
            str(path), f"encrypted PDF: {exc} (pip install cryptography)"
        ) from exc
    if not opened:
        raise UnreadableFileError(str(path), "encrypted PDF: cannot read without the password")


def _title(reader: Any) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a broken info dictionary costs the title, not the file
        return ""
    return " ".join(str(title).split()) if title else ""


def _page_sections(reader: Any, pages: int) -> list[str | None]:
    """For each page, the outline path of the last entry starting on or before it."""
    starts: list[tuple[int, int, str]] = []  # (page index, outline order, section path)

    def walk(items: list[Any], parents: list[str]) -> None:
        # pypdf gives an outline level as a list in which a nested list holds the children
        # of the entry just before it.
        last: str | None = None
        for item in items:
            if len(starts) >= MAX_OUTLINE_ENTRIES:
                return
            if isinstance(item, list):
                walk(item, [*parents, last] if last else parents)
                continue
            last = " ".join(str(item.title).split())
            page = reader.get_destination_page_number(item)
            if last and page is not None and 0 <= page < pages:
                starts.append((page, len(starts), SECTION_SEPARATOR.join([*parents, last])))

    try:
        walk(reader.outline, [])
    except Exception:  # a broken outline costs the section names, not the text
        starts = []
    sections: list[str | None] = []
    current: str | None = None
    pending = iter(sorted(starts))
    upcoming = next(pending, None)
    for page in range(pages):
        while upcoming is not None and upcoming[0] <= page:
            current = upcoming[2]
            upcoming = next(pending, None)
        sections.append(current)
    return sections


def _typical_width(texts: list[str]) -> int:
    """The width of a full line of body text: the 90th percentile of line lengths."""
    lengths = sorted(
        len(line.strip()) for text in texts for line in text.splitlines() if line.strip()
    )
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def unwrap(text: str, width: int) -> str:
    """Join the lines the layout wrapped: keep a break after a short line or a sentence end,
    and before a list item.

    The sentence splitter ends a sentence at every line break, so wrapped lines would cut
    sentences in half. A word hyphenated across lines is joined ("treat-\\nment").
    """
    out: list[str] = []
    previous = ""  # the last physical line, to judge whether it was full
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            previous = ""
            continue
        # A break after a sentence end costs nothing (sentences end at breaks anyway) and keeps
        # a heading that follows a full last line of a paragraph on its own line.
        wrapped = width > 0 and len(previous) >= SHORT_LINE * width
        wrapped = wrapped and not _SENTENCE_END.search(previous)
        if out and wrapped and not _LIST_ITEM.match(line):
            if re.search(r"[a-z]-$", out[-1]) and line[:1].islower():
                out[-1] = out[-1][:-1] + line
            else:
                out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous = line
    return "\n".join(out)
