"""Where an index keeps its versions, which one is current, and the write lock.

INDEX/
  CURRENT              name of the live version (replaced atomically)
  .lock                held by the one process writing a new version
  versions/NAME/       manifest.json, store.sqlite, vectors.faiss, bm25/, verified.json
  uploads/             files uploaded through the service (index/uploads.py)

A version is *valid* when its manifest is present, complete (it lists the store, the vectors
and the BM25 files) and every file it lists is there; the writer writes the manifest last and
atomically, so a folder left by a crashed ingest is never valid. A version's files are hashed
once; `verified.json` remembers it (index/integrity.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from askdocs.errors import (
    CorruptIndexError,
    IncompatibleIndexError,
    IndexError_,
    IndexLockedError,
    IndexNotFoundError,
)
from askdocs.index.integrity import verify
from askdocs.index.manifest import MANIFEST, Manifest

CURRENT = "CURRENT"
VERSIONS = "versions"
STORE = "store.sqlite"
VECTORS = "vectors.faiss"
LEXICAL = "bm25"
# Valid versions kept besides the current one: a reader that opened the previous one can
# finish, and the service can fall back to it when the live one is corrupt.
KEEP_OLD_VERSIONS = 1
_VERSION_NAME = re.compile(r"v\d{1,12}")

log = logging.getLogger("askdocs.index")


def current_version(root: Path) -> Path | None:
    """The folder of the live version, or None for an empty or missing index.

    Raises CorruptIndexError when CURRENT holds anything but a version name.
    """
    path = root / CURRENT
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptIndexError(f"cannot read {path}: {exc}") from exc
    try:
        name = data.decode("ascii").strip()
    except UnicodeDecodeError:
        name = None
    if name == "":
        return None
    if name is None or not _VERSION_NAME.fullmatch(name):
        raise CorruptIndexError(
            f"{path} does not name an index version (it holds {data[:40]!r}); write the name "
            f"of an intact version from {root / VERSIONS} into it, or re-create the index"
        )
    return root / VERSIONS / name


def index_of(version: Path) -> Path:
    """The index folder a version folder belongs to."""
    return version.parent.parent


def version_dirs(root: Path) -> list[Path]:
    """Every version folder, oldest first (valid or not)."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and _VERSION_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: int(p.name[1:]))


def check_version(folder: Path, deep: bool = False) -> Manifest:
    """The manifest of a valid version; CorruptIndexError saying why `folder` is not one.

    Valid: manifest present, complete and every listed file there; with `deep`, every file
    also matches its checksum (hashed once per version, see index/integrity.py).
    IncompatibleIndexError for a version of another format.
    """
    if not folder.is_dir():
        raise CorruptIndexError(f"index version {folder} is missing")
    if not (folder / MANIFEST).is_file():
        raise CorruptIndexError(f"index version {folder} has no manifest (an unfinished write)")
    manifest = Manifest.load(folder, index_of(folder))
    listed = manifest.checksums
    if (
        STORE not in listed
        or VECTORS not in listed
        or not any(name.startswith(f"{LEXICAL}/") for name in listed)
    ):
        raise CorruptIndexError(f"the manifest of {folder} does not list all index files")
    if deep:
        verify(folder, manifest.checksums)
    else:
        for name in listed:
            if not (folder / name).is_file():
                raise CorruptIndexError(f"index file {folder / name} is missing")
    return manifest


def is_valid(folder: Path, deep: bool = False) -> bool:
    """Whether `folder` is a valid version (see `check_version`)."""
    try:
        check_version(folder, deep)
    except IndexError_:  # corrupt, or another format version: neither can be served
        return False
    return True


def choose_version(
    root: Path, deep: bool = True, fallback: bool = False
) -> tuple[Path, Manifest, str | None]:
    """The version to read at `root`: (folder, manifest, None) for the live one.

    Raises IndexNotFoundError without CURRENT, CorruptIndexError when the live version is not
    valid (checksums included with `deep`). With `fallback`, a corrupt live version gives way
    to the newest older one valid with its checksums, and the third item is the warning to
    show; CorruptIndexError when none is.
    """
    live = current_version(root)
    if live is None:
        raise IndexNotFoundError(
            f"no index at {root}; create one with: askdocs ingest PATH --index {root}"
        )
    try:
        return live, check_version(live, deep), None
    except CorruptIndexError as exc:
        if not fallback:
            raise
        problem = exc
    number = int(live.name[1:])
    for folder in reversed([p for p in version_dirs(root) if int(p.name[1:]) < number]):
        try:
            manifest = check_version(folder, deep=True)
        except IndexError_ as exc:
            log.warning("cannot fall back to %s either: %s", folder.name, exc)
            continue
        warning = (
            f"the live index version {live.name} is corrupt ({problem}); serving the previous "
            f"version {folder.name}, which lacks the changes made since"
        )
        return folder, manifest, warning
    raise CorruptIndexError(f"no intact version of the index at {root} to serve: {problem}")


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
        fsync_path(path)


def fsync_path(path: Path) -> None:
    """Flush one file, or one folder's entries, to disk."""
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
    fsync_path(root)


def remove_stale_versions(root: Path) -> None:
    """Delete old versions and unfinished ones left by a crash; call with the write lock held.

    Never deletes the live version nor the newest valid one older than it (the fallback).
    Without a readable CURRENT only invalid folders go: which version is live is unknown. An
    index of another format is left whole: its versions are not this askdocs's to judge.
    """
    try:
        live = current_version(root)
    except CorruptIndexError as exc:
        log.warning("not removing old index versions: %s", exc)
        return
    if live is not None and (live / MANIFEST).is_file():
        try:
            Manifest.load(live, root)
        except IncompatibleIndexError as exc:
            log.debug("not removing old index versions: %s", exc)  # the caller reports it
            return
        except CorruptIndexError:
            pass  # judged below like any version that is not valid
    versions = version_dirs(root)
    if live is None:
        stale = [p for p in versions if not is_valid(p)]
    else:
        number = int(live.name[1:])
        older = [p for p in versions if int(p.name[1:]) < number]
        keep = {live, *[p for p in reversed(older) if is_valid(p)][:KEEP_OLD_VERSIONS]}
        stale = [p for p in versions if p not in keep]
    for folder in stale:
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
