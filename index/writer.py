"""Writing a new index version: incremental, beside the live one, switched atomically.

Only new or changed documents are chunked and embedded; unchanged ones are carried over with
their stored vectors. A crash at any moment leaves the previous version live and intact.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from askdocs.errors import IndexError_, IndexLockedError
from askdocs.index.embedder import Embedder
from askdocs.index.embedding_inputs import embedding_inputs
from askdocs.index.layout import (
    LEXICAL,
    STORE,
    VECTORS,
    current_version,
    fsync_tree,
    new_version_dir,
    remove_stale_versions,
    switch_to,
    write_lock,
)
from askdocs.index.lexical import LexicalIndex
from askdocs.index.manifest import Manifest
from askdocs.index.provenance import check_backend, check_base, check_compatible, describe
from askdocs.index.store import Store
from askdocs.index.uploads import reconcile
from askdocs.index.vectors import VectorIndex
from askdocs.ingest.chunk import context_of
from askdocs.ingest.documents import Skipped, discover, load_documents
from askdocs.ingest.models import Document
from askdocs.settings import Settings


@dataclass
class FormatStats:
    """Per file format (suffix): files read, files skipped, their pages and stored chunks."""

    files: int = 0
    skipped: int = 0
    pages: int = 0
    chunks: int = 0


@dataclass
class IngestReport:
    """What one ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    documents: int = 0
    chunks: int = 0
    version: str | None = None
    formats: dict[str, FormatStats] = field(default_factory=dict)  # by suffix, e.g. ".pdf"
    # Seconds spent per stage: loading (reading and parsing files), chunking, embedding,
    # writing (store, search indexes, manifest, switching versions).
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, started: float) -> None:
        """Add the time since `started` (a perf_counter value) to `stage`."""
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    @property
    def changed(self) -> bool:
        """Whether a new version was written."""
        return bool(self.added or self.updated or self.removed)


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
    started = time.perf_counter()
    files, skipped = discover(paths)
    loaded = list(load_documents(_reading(files, progress)))
    docs = [d for d in loaded if isinstance(d, Document)]
    skipped += [d for d in loaded if isinstance(d, Skipped)]
    loading = time.perf_counter() - started
    gone = (lambda source: not Path(source).exists()) if prune else None
    report = ingest_documents(
        root, docs, embedder, settings, remove_if=gone, skipped=skipped, progress=progress
    )
    report.timings["loading"] = loading
    _tally_formats(report, root, docs)
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


def _tally_formats(report: IngestReport, root: Path, docs: list[Document]) -> None:
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
    for doc in docs:
        entry = stats(doc.source)
        entry.files += 1
        entry.pages += doc.pages or 0
        entry.chunks += chunks.get(doc.source, 0)
    for skipped in report.skipped:
        stats(skipped.path).skipped += 1


def ingest_documents(
    root: Path,
    docs: list[Document],
    embedder: Embedder,
    settings: Settings,
    remove_if: Callable[[str], bool] | None = None,
    remove_ids: Iterable[str] = (),
    skipped: list[Skipped] | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Add or replace `docs` (by source), remove documents by id or by `remove_if(source)`.
    With `progress` (by default: when stderr is a terminal), a progress bar on stderr shows the
    embedding."""
    if settings.backend == "qdrant":  # backend hook (index/qdrant_writer.py)
        from askdocs.index import qdrant_writer

        return qdrant_writer.ingest_documents(
            docs, embedder, settings, remove_if, remove_ids, skipped, progress
        )
    report = IngestReport(skipped=list(skipped or []))
    started = time.perf_counter()
    with write_lock(root):
        _tidy_locked(root)
        live = current_version(root)
        old_store = Store(live / STORE, readonly=True) if live else None
        try:
            manifest = Manifest.load(live, root) if live is not None else None
            if manifest is not None:
                check_compatible(manifest, embedder, settings, root)
            stored = old_store.hashes_by_source() if old_store else {}
            wanted_ids = set(remove_ids)
            to_write: list[Document] = []
            seen_sources: set[str] = set()
            for doc in docs:
                if doc.source in seen_sources:
                    continue
                seen_sources.add(doc.source)
                previous = stored.get(doc.source)
                if previous is not None and previous[1] == doc.content_hash:
                    report.unchanged += 1
                    continue
                (report.updated if previous else report.added).append(doc.source)
                to_write.append(doc)
            for source, (doc_id, _) in stored.items():
                gone = remove_if is not None and source not in seen_sources and remove_if(source)
                if doc_id in wanted_ids or gone:
                    report.removed.append(source)
                    wanted_ids.add(doc_id)
            if not to_write and not report.removed and live is not None:
                report.documents, report.chunks = old_store.count() if old_store else (0, 0)
                report.version = live.name
                return report
            if live is not None and manifest is not None:
                if to_write:
                    check_backend(manifest, embedder, root)
                check_base(live, manifest)
            report.version = _write_version(
                root,
                old_store,
                to_write,
                wanted_ids,
                embedder,
                settings,
                report,
                _progress_wanted(progress),
            )
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


def _write_version(
    root: Path,
    old_store: Store | None,
    docs: list[Document],
    remove_ids: set[str],
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
    progress: bool,
) -> str:
    folder = new_version_dir(root)
    try:
        store = old_store.copy_to(folder / STORE) if old_store else Store(folder / STORE)
        try:
            for doc_id in remove_ids:
                store.delete_document(doc_id)
            _add_documents(store, docs, embedder, settings, report, progress)
            store.commit()
            report.documents, report.chunks = store.count()
            vector_index = _build_search_indexes(
                store, folder, embedder.dimension, settings.chunk_context
            )
        finally:
            store.close()
        describe(folder, embedder, settings, vector_index, (report.documents, report.chunks))
        fsync_tree(folder)
        switch_to(root, folder)
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError | sqlite3.Error):  # disk full, I/O error, file too large
            raise IndexError_(
                f"could not write the new index version in {root}: {exc}; "
                "the previous version is unchanged"
            ) from exc
        raise
    return folder.name


def _add_documents(
    store: Store,
    docs: list[Document],
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
    progress: bool,
) -> None:
    """Chunk all documents, embed all chunks in one batched pass, store them."""
    started = time.perf_counter()
    inputs = embedding_inputs(docs, embedder, settings)
    per_doc, spans = inputs.per_doc, inputs.spans
    chunks_flat = [c for chunks in per_doc for c in chunks]
    report.timed("chunking", started)
    started = time.perf_counter()
    vectors, span_vectors = embedder.encode_with_spans(
        inputs.texts, inputs.shifted, progress=progress and bool(chunks_flat)
    )
    report.chunks_embedded += len(chunks_flat)
    report.timed("embedding", started)
    offset = 0
    for doc, chunks in zip(docs, per_doc, strict=True):
        rows = range(offset, offset + len(chunks))
        sentences = [(chunks_flat[i].start + s, chunks_flat[i].start + e) for i in rows
                     for s, e in spans[i]]  # fmt: skip
        sentence_vectors = [span_vectors[i] for i in rows]
        store.add_document(
            doc,
            chunks,
            vectors[offset : offset + len(chunks)],
            sentences,
            np.vstack(sentence_vectors) if sentence_vectors else None,
        )
        offset += len(chunks)


def _build_search_indexes(
    store: Store, folder: Path, dimension: int, with_context: bool = True
) -> str:
    """Write the vector and BM25 indexes; return the vector index's spec for the manifest."""
    ids: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    texts: list[str] = []
    for batch_ids, batch_texts, batch_vectors in store.iter_chunks():
        ids.append(batch_ids)
        vectors.append(batch_vectors)
        texts.extend(batch_texts)
    all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    all_vectors = np.vstack(vectors) if vectors else np.zeros((0, dimension), dtype=np.float32)
    vector_index = VectorIndex.build(dimension, all_ids, all_vectors)
    vector_index.save(folder / VECTORS)
    # BM25 reads each chunk after its context, as the model does, and also scores each
    # chunk's whole document (see index/lexical.py).
    about = {
        cid: (doc_id, title, section)
        for cid, doc_id, title, section in store.db.execute(
            "SELECT c.id, c.doc_id, d.title, c.section FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id"
        )
    }
    chunk_ids = [int(i) for i in all_ids]
    doc_ids = [about[i][0] for i in chunk_ids]
    read = [
        (context_of(about[i][1], about[i][2], text) if with_context else "") + text
        for i, text in zip(chunk_ids, texts, strict=True)
    ]
    LexicalIndex.build(chunk_ids, read, doc_ids).save(folder / LEXICAL)
    return vector_index.spec
