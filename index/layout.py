"""Where an index keeps its versions, which one is current, and the write lock.

INDEX/
  CURRENT              name of the live version (replaced atomically)
  .lock                held by the one process writing a new version
  versions/NAME/       manifest.json, store.sqlite, vectors.faiss, bm25/
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from askdocs.errors import IndexLockedError

CURRENT = "CURRENT"
VERSIONS = "versions"
STORE = "store.sqlite"
VECTORS = "vectors.faiss"
LEXICAL = "bm25"
# Versions kept besides the current one, so a reader that opened the previous one can finish.
KEEP_OLD_VERSIONS = 1


def current_version(root: Path) -> Path | None:
    """The folder of the live version, or None for an empty or missing index."""
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return root / VERSIONS / name if name else None


def new_version_dir(root: Path) -> Path:
    """A fresh, empty folder for the next version (named after a counter)."""
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[1:]) for p in versions.glob("v*") if p.name[1:].isdigit()]
    folder = versions / f"v{max(numbers, default=0) + 1:06d}"
    folder.mkdir()
    return folder


def fsync_tree(folder: Path) -> None:
    """Flush every file of `folder` and the folder entries themselves to disk."""
    for path in [*folder.rglob("*"), folder]:
        flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def switch_to(root: Path, version: Path) -> None:
    """Make `version` the live one: write CURRENT beside, then rename over (atomic)."""
    tmp = root / f"{CURRENT}.tmp"
    with tmp.open("w") as handle:
        handle.write(version.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_versions(root: Path) -> None:
    """Delete versions older than the kept ones, and unfinished ones left by a crash."""
    live = current_version(root)
    versions = sorted(p for p in (root / VERSIONS).glob("v*") if p.is_dir())
    if live is None:
        keep: set[Path] = set()
    else:
        older = [p for p in versions if p.name < live.name]
        keep = {live, *older[len(older) - KEEP_OLD_VERSIONS :]} if KEEP_OLD_VERSIONS else {live}
    for folder in versions:
        if folder not in keep:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def write_lock(root: Path, wait: bool = True) -> Iterator[None]:
    """Hold the index's write lock; a second writer waits (or fails when `wait` is False)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise IndexLockedError(f"another ingest is writing to {root}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
