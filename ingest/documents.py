"""From files on disk to cleaned `Document`s, skipping unreadable files with a warning."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from askdocs.errors import UnreadableFileError
from askdocs.ingest.clean import clean_blocks
from askdocs.ingest.loaders import load_file, supported
from askdocs.ingest.models import Block, Document, Span

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
    """Supported files under `paths` (folders are walked), sorted; others are reported.

    Inside a walked folder, symlinks are never followed out of it: a symlink whose target lies
    outside the folder, a dangling symlink and a symlink loop are reported, and symlinked
    folders are not descended (their targets inside the folder are walked anyway). Folders that
    cannot be listed and files that are not regular files are reported too. A path named
    explicitly is used as given.
    """
    found: dict[Path, Path] = {}  # resolved path -> path as found
    skipped: list[Skipped] = []
    for path in paths:
        try:
            is_dir, is_file = path.is_dir(), path.is_file()
        except OSError as exc:
            skipped.append(Skipped(str(path), f"cannot read ({exc.strerror})"))
            continue
        if is_dir:
            _walk(path, found, skipped)
        elif is_file:
            if supported(path):
                found.setdefault(path.resolve(), path)
            else:
                skipped.append(Skipped(str(path), f"unsupported file type {path.suffix}"))
        else:
            skipped.append(Skipped(str(path), _missing_reason(path)))
    return sorted(found.values()), skipped


def _walk(folder: Path, found: dict[Path, Path], skipped: list[Skipped]) -> None:
    """Collect the supported files of `folder` into `found`, reporting the rest."""
    top = folder.resolve()

    def unreadable(exc: OSError) -> None:
        skipped.append(Skipped(str(exc.filename), f"cannot read folder ({exc.strerror})"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        kept: list[str] = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            sub = Path(root) / name
            if not sub.is_symlink():
                kept.append(name)
                continue
            problem = _link_problem(sub, top)
            if problem is not None:
                skipped.append(Skipped(str(sub), problem))
        dirs[:] = kept
        for name in sorted(files):
            if name.startswith("."):
                continue
            file = Path(root) / name
            if not supported(file):
                skipped.append(Skipped(str(file), f"unsupported file type {file.suffix}"))
                continue
            problem = _link_problem(file, top) if file.is_symlink() else None
            if problem is None and not _is_regular(file):
                problem = "not a regular file"
            if problem is not None:
                skipped.append(Skipped(str(file), problem))
            elif file.is_symlink():
                found.setdefault(file.resolve(), file)
            else:  # a file reached both directly and through a symlink is known by its own name
                found[file.resolve()] = file


def _link_problem(link: Path, top: Path) -> str | None:
    """Why a symlink inside `top` is not followed, or None when its target is inside `top`."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return "symlink loop; not followed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop; not followed"
        return f"dangling symlink ({exc.strerror}); not followed"
    if not target.is_relative_to(top):
        return f"symlink pointing outside {top} (to {target}); not followed"
    return None


def _is_regular(file: Path) -> bool:
    """Whether `file` is a regular file (a FIFO or device would block or never end)."""
    try:
        return stat.S_ISREG(file.stat().st_mode)
    except OSError:
        return True  # let the loader report why it cannot be read


def _missing_reason(path: Path) -> str:
    """Why a named path that is neither a file nor a folder is skipped."""
    if path.is_symlink():
        return _link_problem(path, Path("/")) or "not a regular file or folder"
    return "not a regular file or folder" if path.exists() else "no such file or directory"


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
