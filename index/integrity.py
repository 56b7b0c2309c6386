"""Checking an index version's files against its manifest's checksums, once per version.

Hashing a version reads all of it, which every `askdocs ask` paid while every open re-hashed.
Versions are never rewritten, so each file is hashed once (by the writer as it builds the
version, or on the first open) and `verified.json` in the version folder records its stamp
(inode, size, modification time) as it was when its bytes matched. Later opens stat the files
and hash again only those whose stamp changed.

As in git's index, a stamp is trusted only for a file modified before `verified.json` was
written: file times are coarse (a clock tick of a few ms), so a file rewritten within the tick
it was verified in keeps its stamp; it is hashed again, and the record rewritten, until it is
older than the record. Damage that puts the modification time back is left to the service's
read checks (`Collection.ensure_intact`, the store's read errors).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from askdocs.errors import CorruptIndexError
from askdocs.index.manifest import MANIFEST

VERIFIED = "verified.json"

log = logging.getLogger("askdocs.index")

# What identifies a file's bytes on disk cheaply: (inode, size, modification time in ns).
FileStamp = tuple[int, int, int]


def stamp(path: Path) -> FileStamp | None:
    """The stamp of `path`, or None when it cannot be stat'ed."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def file_checksum(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _bookkeeping(name: str) -> bool:
    """Files of a version folder that are not index data: the manifest and the record."""
    return name in (MANIFEST, VERIFIED) or name.startswith(f".{VERIFIED}")


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every index file below `folder` (not the manifest), by relative path."""
    return {
        str(p.relative_to(folder)): file_checksum(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not _bookkeeping(p.name)
    }


def stamps(folder: Path, names: Iterable[str]) -> dict[str, FileStamp]:
    """The stamps of the files `names` (relative to `folder`) that exist."""
    found = {name: stamp(folder / name) for name in names}
    return {name: value for name, value in found.items() if value is not None}


def verify(folder: Path, expected: dict[str, str], names: Iterable[str] | None = None) -> None:
    """Raise CorruptIndexError when a file `expected` lists (or those of `names`) is missing or
    differs from its checksum. Files verified before and unchanged since are not read."""
    trusted = _trusted(folder)
    verified: dict[str, FileStamp] = {}
    for name in expected if names is None else names:
        path = folder / name
        before = stamp(path)
        if before is None:
            raise CorruptIndexError(f"index file {path} is missing")
        if trusted.get(name) == before:
            continue
        # The stamp is taken before the bytes are read: a change made meanwhile shows.
        if file_checksum(path) != expected.get(name):
            raise CorruptIndexError(
                f"index file {path} is corrupted (checksum mismatch); re-run askdocs ingest "
                "into a new --index"
            )
        verified[name] = before
    if verified:
        remember(folder, {**trusted, **verified})


def remember(folder: Path, verified: dict[str, FileStamp]) -> None:
    """Record that the files of `verified` matched their checksums with these stamps.

    Atomic (a reader sees the old record or the new one); best effort: in a read-only index
    the files are hashed again at each open.
    """
    record = {"manifest": stamp(folder / MANIFEST), "files": verified}
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, prefix=f".{VERIFIED}.", delete=False
        ) as handle:
            json.dump(record, handle)
        try:
            os.replace(handle.name, folder / VERIFIED)
        except OSError:
            os.unlink(handle.name)
            raise
    except OSError as exc:
        log.debug("cannot record the verification of %s: %s", folder, exc)


def _trusted(folder: Path) -> dict[str, FileStamp]:
    """The stamps `verified.json` vouches for: none when it is missing or unreadable, when the
    manifest changed since, or for files modified as late as the record (see the docstring)."""
    path = folder / VERIFIED
    written = stamp(path)
    try:
        record = json.loads(path.read_text())
        manifest = record["manifest"]
        files = record["files"]
        if written is None or manifest is None or tuple(manifest) != stamp(folder / MANIFEST):
            return {}
        found = {str(name): (int(s[0]), int(s[1]), int(s[2])) for name, s in files.items()}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}
    return {name: s for name, s in found.items() if s[2] < written[2]}
