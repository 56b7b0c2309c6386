"""Records that flow out of ingest: loaded blocks, documents and chunks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A run of text from a loader, with where it sits in the source.

    Loaders emit blocks (a paragraph, a page, a table...) so cleaning can work per block and
    the assembled document can keep each block's section path and page number.
    """

    text: str
    section: str | None = None  # e.g. "Areas of Work › Gender unit"
    page: int | None = None  # 1-based, for paged formats


@dataclass(frozen=True)
class LoadedFile:
    """What a loader returns: a title and the file's blocks in reading order."""

    title: str
    blocks: list[Block]
    pages: int | None = None


@dataclass(frozen=True)
class Span:
    """A region of `Document.text` that belongs to one section and/or page."""

    start: int
    end: int
    section: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """A cleaned document. Every offset in askdocs points into `text`."""

    id: str
    title: str
    source: str
    text: str
    spans: list[Span] = field(default_factory=list)
    content_hash: str = ""
    # Pages of the source file (paged formats), for ingest reports; not stored in the index.
    pages: int | None = field(default=None, compare=False)

    def locate(self, start: int) -> Span | None:
        """The span that holds character `start`, if any."""
        for span in self.spans:
            if span.start <= start < span.end:
                return span
        return None


@dataclass(frozen=True)
class Chunk:
    """A slice of a document: `document.text[start:end] == text`."""

    doc_id: str
    text: str
    start: int
    end: int
    section: str | None = None
    page: int | None = None
