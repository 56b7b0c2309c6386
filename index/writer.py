"""Writing a new index version: incremental, beside the live one, switched atomically.

Only new or changed documents are chunked and embedded; unchanged ones are carried over with
their stored vectors. Documents are streamed: read, chunked, embedded and stored in batches
(index/version_writer.py). A change costs what changed, not the index's size: the new version
starts as a copy of the live store (a kernel copy of bytes, index/store.py), its FAISS index is
the live one's with chunks removed and added by id, and its BM25 is recomputed from kept term
counts (index/search_indexes.py, index/lexical_terms.py). The store is copied rather than
written in place because readers rely on a version never changing (checksums verified once,
index/integrity.py) and on the live version staying whole until the switch: the copy keeps
both for ~0.1 s per 330 MB (README, Performance). A crash at any moment leaves the previous
version live and intact.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from askdocs.errors import CorruptIndexError, IndexLockedError
from askdocs.index.embedder import Embedder
from askdocs.index.ingest_plan import changed_documents, removed_ids
from askdocs.index.ingest_report import FormatStats, IngestReport
from askdocs.index.layout import (
    STORE,
    current_version,
    remove_stale_versions,
    write_lock,
)
from askdocs.index.manifest import Manifest
from askdocs.index.provenance import check_backend, check_base, check_compatible
from askdocs.index.store import Store
from askdocs.index.uploads import reconcile
from askdocs.index.version_writer import NewVersion
from askdocs.ingest.documents import Skipped, discover, load_documents
from askdocs.ingest.models import Document
from askdocs.settings import Settings

# Text read per batch of a streamed ingest (index/version_writer.py): about 4,000 chunks of
# SciFact, enough for the embedder to sort a batch's texts by length (README, Performance).
STREAM_CHARACTERS = 2_000_000


def ingest_paths(
    root: Path,
    paths: Iterable[Path],
    embedder: Embedder,
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest files and folders into the index at `root`.

    With `prune`, stored documents whose file no longer exists are removed. With `progress`
    (by default: when stderr is a terminal), progress bars on stderr show the files being read,
    each file's name, then the embedding.
    """
    if settings.backend == "qdrant":  # backend hook (index/qdrant_writer.py)
        from askdocs.index import qdrant_writer

        return qdrant_writer.ingest_paths(paths, embedder, settings, prune, progress)
    progress = _progress_wanted(progress)
    files, skipped = discover(paths)
    read: list[tuple[str, int]] = []  # (source, pages) of every document read
    loading = 0.0

    def documents() -> Iterator[Document]:
        """The documents of `files`, read one by one as the ingest asks for them."""
        nonlocal loading
        loaded = iter(load_documents(_reading(files, progress)))
        while True:
            started = time.perf_counter()
            item = next(loaded, None)
            loading += time.perf_counter() - started
            if item is None:
                return
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            read.append((item.source, item.pages or 0))
            yield item

    gone = (lambda source: not Path(source).exists()) if prune else None
    report = ingest_documents(
        root, documents(), embedder, settings, remove_if=gone, progress=progress
    )
    # Reading happened during the ingest: it counts as loading, not writing.
    report.timings["loading"] = loading
    report.timings["writing"] = report.timings.get("writing", 0.0) - loading
    report.skipped = skipped
    _tally_formats(report, root, read)
    return report


def _progress_wanted(progress: bool | None) -> bool:
    """`progress` as asked, else whether stderr is a terminal (not a script, a pipe, a test)."""
    return sys.stderr.isatty() if progress is None else progress


def _reading(files: list[Path], progress: bool) -> Iterable[Path]:
    """`files`, with a progress bar on stderr naming the file being read when `progress`."""
    if not progress or not files:
        yield from files
        return
    from tqdm import tqdm

    with tqdm(total=len(files), desc="Reading", unit="file") as bar:
        for file in files:
            bar.set_postfix_str(file.name, refresh=True)
            yield file  # loaded and parsed before the next one is asked for
            bar.update(1)


def _tally_formats(report: IngestReport, root: Path, read: list[tuple[str, int]]) -> None:
    """Fill `report.formats` from the files read and what the live version stores for them."""

    def stats(path: str) -> FormatStats:
        return report.formats.setdefault(Path(path).suffix.lower() or "(none)", FormatStats())

    live = current_version(root)
    chunks: dict[str, int] = {}
    if live is not None:
        store = Store(live / STORE, readonly=True)
        try:
            chunks = {info.source: info.chunks for info in store.list_documents()}
        finally:
            store.close()
    for source, pages in read:
        entry = stats(source)
        entry.files += 1
        entry.pages += pages
        entry.chunks += chunks.get(source, 0)
    for skipped in report.skipped:
        stats(skipped.path).skipped += 1


def ingest_documents(
    root: Path,
    docs: Iterable[Document],
    embedder: Embedder,
    settings: Settings,
    remove_if: Callable[[str], bool] | None = None,
    remove_ids: Iterable[str] = (),
    skipped: list[Skipped] | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Add or replace `docs` (by source), remove documents by id or by `remove_if(source)`.

    `docs` is read as it goes: changed documents are chunked, embedded and stored in batches of
    about STREAM_CHARACTERS, so a generator of documents is never held whole in memory. With
    `progress` (by default: when stderr is a terminal), a progress bar on stderr shows the
    embedding."""
    if settings.backend == "qdrant":  # backend hook (index/qdrant_writer.py)
        from askdocs.index import qdrant_writer

        return qdrant_writer.ingest_documents(
            docs, embedder, settings, remove_if, remove_ids, skipped, progress
        )
    report = IngestReport(skipped=list(skipped or []))
    started = time.perf_counter()
    progress = _progress_wanted(progress)
    with write_lock(root):
        _tidy_locked(root)
        live = current_version(root)
        old_store = Store(live / STORE, readonly=True) if live else None
        writing: NewVersion | None = None
        try:
            manifest = Manifest.load(live, root) if live is not None else None
            if manifest is not None:
                check_compatible(manifest, embedder, settings, root)
            try:
                stored = old_store.hashes_by_source() if old_store else {}
            except CorruptIndexError:
                # The damage may show before check_base runs: say which file and what to do.
                if live is not None and manifest is not None:
                    check_base(live, manifest)
                raise

            def new_version(embedding: bool) -> NewVersion:
                """Start writing the next version, once there is something to write."""
                base = None
                if live is not None and manifest is not None:
                    if embedding:
                        check_backend(manifest, embedder, root)
                    check_base(live, manifest)
                    base = (live, manifest)
                return NewVersion(root, old_store, base, embedder, settings, report, progress)

            seen_sources: set[str] = set()
            batch: list[Document] = []
            for doc in changed_documents(docs, stored, seen_sources, report):
                batch.append(doc)
                if sum(len(d.text) for d in batch) >= STREAM_CHARACTERS:
                    writing = writing or new_version(embedding=True)
                    writing.add(batch)
                    batch = []
            if batch:
                writing = writing or new_version(embedding=True)
                writing.add(batch)
            wanted_ids = removed_ids(stored, seen_sources, remove_ids, remove_if, report)
            if writing is None and not report.removed and live is not None:
                report.documents, report.chunks = old_store.count() if old_store else (0, 0)
                report.version = live.name  # nothing changed: no new version
            else:
                writing = writing or new_version(embedding=False)
                report.version = writing.finish(wanted_ids)
        except BaseException:
            if writing is not None:
                writing.abandon()  # a failure while reading documents: the live version stays
            raise
        finally:
            if old_store is not None:
                old_store.close()
        remove_stale_versions(root)
    # Whatever was not chunking or embedding was comparing, writing and switching versions.
    total = time.perf_counter() - started
    report.timings["writing"] = total - sum(report.timings.values())
    return report


def tidy(root: Path) -> bool:
    """Clean what crashes left in the index at `root`: unfinished version folders and
    interrupted uploads (index/uploads.py). False, doing nothing, while another process holds
    the write lock (that writer cleans up itself)."""
    if not root.is_dir():
        return True
    try:
        with write_lock(root, wait=False):
            _tidy_locked(root)
    except IndexLockedError:
        return False
    return True


def _tidy_locked(root: Path) -> None:
    reconcile(root)
    remove_stale_versions(root)
