"""One loader per file format, chosen by file suffix.

PDF and DOCX files are parsed in a sandboxed worker process (time and memory bounded, see
`ingest.loaders.sandbox`): their parsers walk untrusted object graphs. Text, Markdown and HTML
are decoded and parsed in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from askdocs.errors import UnreadableFileError
from askdocs.ingest.loaders.docx import load_docx
from askdocs.ingest.loaders.html import load_html
from askdocs.ingest.loaders.markdown import load_markdown
from askdocs.ingest.loaders.pdf import load_pdf
from askdocs.ingest.loaders.sandbox import sandboxed
from askdocs.ingest.loaders.text import load_text
from askdocs.ingest.models import LoadedFile

Loader = Callable[[Path], LoadedFile]

LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": sandboxed(load_pdf),
    ".docx": sandboxed(load_docx),
}


def supported(path: Path) -> bool:
    """Whether askdocs has a loader for this file's suffix."""
    return path.suffix.lower() in LOADERS


def load_file(path: Path) -> LoadedFile:
    """Load one file with the loader for its suffix.

    Raises UnreadableFileError (naming the file) when it cannot be read or holds no text.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnreadableFileError(str(path), f"unsupported file type {path.suffix or '(none)'}")
    loaded = loader(path)
    if not any(block.text.strip() for block in loaded.blocks):
        raise UnreadableFileError(str(path), "no text found")
    return loaded
