"""From files on disk to cleaned `Document`s, skipping unreadable files with a warning."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from askdocs.errors import UnreadableFileError
from ingest.clean import clean_blocks
from ingest.loaders import load_file, supported
from ingest.models import Block, Document, Span

PARAGRAPH = "\n\n"


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str


def document_id(source: str) -> str:
    """A stable, URL-safe id for a document, derived from its source path."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str) -> str:
    """The hash that decides whether a document changed since the last ingest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assemble(doc_id: str, title: str, source: str, blocks: list[Block]) -> Document:
    """Join cleaned blocks into one text, remembering each block's section and page."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for block in clean_blocks(blocks):
        if parts:
            parts.append(PARAGRAPH)
            pos += len(PARAGRAPH)
        parts.append(block.text)
        spans.append(Span(pos, pos + len(block.text), block.section, block.page))
        pos += len(block.text)
    text = "".join(parts)
    return Document(doc_id, title, source, text, spans, content_hash(text))


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Supported files under `paths` (folders are walked), sorted; others are reported."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    file = Path(root) / name
                    if name.startswith("."):
                        continue
                    if supported(file):
                        found.append(file)
                    else:
                        skipped.append(Skipped(str(file), f"unsupported file type {file.suffix}"))
        elif path.is_file():
            if supported(path):
                found.append(path)
            else:
                skipped.append(Skipped(str(path), f"unsupported file type {path.suffix}"))
        else:
            skipped.append(Skipped(str(path), "no such file or directory"))
    return sorted(set(found)), skipped


def source_of(path: Path) -> str:
    """The source string a file is identified by: its absolute path."""
    return str(path.resolve())


def load_documents(files: Iterable[Path]) -> Iterator[Document | Skipped]:
    """Load and clean each file; yield a `Skipped` for each file that cannot be used."""
    for file in files:
        source = source_of(file)
        try:
            loaded = load_file(file)
        except UnreadableFileError as exc:
            yield Skipped(str(file), exc.reason)
            continue
        except (OSError, ValueError, RecursionError) as exc:
            # A parser bug on one odd file must not stop the whole folder.
            yield Skipped(str(file), f"could not parse ({type(exc).__name__}: {exc})")
            continue
        doc = replace(
            assemble(document_id(source), loaded.title, source, loaded.blocks), pages=loaded.pages
        )
        if not doc.text:
            yield Skipped(str(file), "no text left after cleaning")
        else:
            yield doc
