"""Files uploaded through the service, kept in INDEX/uploads/ in step with the index.

The rule, kill -9 at any moment included: a document whose source is in uploads/ is in the
live version exactly when its file is there, with the content that was indexed. The index is
the truth; a change goes through a pending folder `uploads/.incoming-XXXX/`:

1. the new files are written into it, then its journal `pending.json` ({file name: content
   hash the live version holds once the change is made, or null for a removal}); a file to
   remove is moved into it after the journal is written;
2. the ingest switches the index to a new version (the one atomic step, layout.switch_to);
3. `settle` reads the live version and completes the change where it holds what the journal
   says (staged files moved into uploads/), or undoes it where not (staged files dropped,
   removed files put back), then deletes the pending folder.

A folder whose process died at any step is settled by `reconcile` (the service's start-up and
every ingest): without a journal the index was not changed yet, so it is dropped. A request
holds a flock on its pending folder, and the uploads folder's flock guards creation, so a
concurrent cleaner leaves folders in use alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from askdocs.errors import IndexError_
from askdocs.index.layout import STORE, current_version, fsync_path
from askdocs.index.store import Store
from askdocs.ingest.documents import source_of

UPLOADS = "uploads"
PENDING_PREFIX = ".incoming-"
JOURNAL = "pending.json"

log = logging.getLogger("askdocs.index")

# (source -> content hash) of the live version's documents.
LiveHashes = dict[str, str]


def uploads_dir(root: Path) -> Path:
    """The folder uploaded files are kept in, inside the index directory."""
    return root / UPLOADS


@contextlib.contextmanager
def _flock(path: Path, operation: int) -> Iterator[int]:
    """Hold a flock on a folder (or file); yields the descriptor."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, operation)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def live_hashes(root: Path) -> LiveHashes:
    """source -> content hash of every document in the live version ({} without one).

    Raises CorruptIndexError when CURRENT or the live store cannot be read.
    """
    live = current_version(root)
    if live is None:
        return {}
    store = Store(live / STORE, readonly=True)
    try:
        return {source: digest for source, (_, digest) in store.hashes_by_source().items()}
    finally:
        store.close()


class PendingChange:
    """One pending change to uploads/ (files added, replaced or removed), flocked while open.

    Use as a context manager: leaving it settles the change by what the live index holds,
    whatever happened in between (an error, a refused file, a concurrent delete).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uploads = uploads_dir(root)
        self.uploads.mkdir(parents=True, exist_ok=True)
        # Shared creation lock: a cleaner (exclusive) never sees this folder before its flock.
        with _flock(self.uploads, fcntl.LOCK_SH):
            self.folder = Path(tempfile.mkdtemp(prefix=PENDING_PREFIX, dir=self.uploads))
            self._fd = os.open(self.folder, os.O_RDONLY)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._changes: dict[str, str | None] = {}

    def __enter__(self) -> PendingChange:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Settle the change by what the live index holds (unless settled already) and let go
        of the folder's flock; what leaving the `with` block does."""
        try:
            if self.folder.exists():
                self.settle()
        finally:
            os.close(self._fd)

    def path(self, name: str) -> Path:
        """Where to write the new file `name` before it is recorded."""
        return self.folder / name

    def record(self, changes: dict[str, str | None]) -> None:
        """Write the journal (content hash per file name, None to remove) durably; call before
        the index changes. Files to remove are then moved out of uploads/ into the folder."""
        self._changes = dict(changes)
        for name, digest in changes.items():
            if digest is not None:
                fsync_path(self.folder / name)
        tmp = self.folder / f"{JOURNAL}.tmp"
        tmp.write_text(json.dumps(self._changes), encoding="utf-8")
        fsync_path(tmp)
        os.replace(tmp, self.folder / JOURNAL)
        fsync_path(self.folder)
        for name, digest in changes.items():
            if digest is None and (self.uploads / name).exists():
                os.replace(self.uploads / name, self.folder / name)

    def settle(self) -> None:
        """Complete or undo the change by what the live version holds, then drop the folder.

        Raises CorruptIndexError (leaving the folder for a later `reconcile`) when the live
        version cannot be read.
        """
        settle(self.folder, self.uploads, live_hashes(self.root))


def settle(folder: Path, uploads: Path, live: LiveHashes) -> None:
    """Complete or undo the pending change in `folder` by `live`, then delete the folder."""
    try:
        changes = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        changes = {}  # no journal yet: the index was not changed for these files
    if not isinstance(changes, dict):
        changes = {}
    moved = False
    for name, wanted in changes.items():
        staged = folder / name
        if not isinstance(name, str) or "/" in name or name.startswith(".") or not staged.exists():
            continue
        held = live.get(source_of(uploads / name))
        # A removal stays undone while the document is still live; an addition is done when
        # the live version holds the very content that was staged.
        if (wanted is None and held is not None) or (wanted is not None and held == wanted):
            os.replace(staged, uploads / name)
            moved = True
    if moved:
        fsync_path(uploads)
    shutil.rmtree(folder, ignore_errors=True)


def reconcile(root: Path) -> int:
    """Settle the pending folders crashed requests left in uploads/; the number settled.

    Call with the index's write lock held, so the live version does not change meanwhile.
    Folders still flocked by a running request are left alone.
    """
    uploads = uploads_dir(root)
    if not uploads.is_dir():
        return 0
    settled = 0
    with _flock(uploads, fcntl.LOCK_EX):
        pending = [p for p in uploads.iterdir() if p.name.startswith(PENDING_PREFIX)]
        if not pending:
            return 0
        try:
            live = live_hashes(root)
        except IndexError_ as exc:
            log.warning("leaving %d pending upload folders in %s: %s", len(pending), uploads, exc)
            return 0
        for folder in pending:
            if not folder.is_dir():
                folder.unlink(missing_ok=True)
                continue
            try:
                with _flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB):
                    settle(folder, uploads, live)
                    settled += 1
            except BlockingIOError:
                continue  # a request in flight owns it
    if settled:
        log.warning("settled %d upload(s) interrupted by a crash in %s", settled, uploads)
    return settled
