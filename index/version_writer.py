"""One new index version being written, beside the live one: documents added batch by batch,
then documents removed, the search indexes updated, the manifest written and the version
switched to (atomically, index/layout.py).

Documents arrive in bounded batches (index/writer.py streams them from the files): each batch
is chunked, embedded and stored before the next is read, so an ingest holds one batch in
memory, not the corpus. The store starts as a copy of the live version's (index/store.py);
the search indexes are the live version's, changed by the chunks gone and the chunks new
(index/search_indexes.py). Until `finish` switches to it, the folder is not a valid version:
a crash, or `abandon`, leaves the live version as it was.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from askdocs.errors import IndexError_
from askdocs.index.embedder import Embedder, Progress
from askdocs.index.embedding_inputs import chunk_and_embed
from askdocs.index.ingest_report import IngestReport
from askdocs.index.layout import STORE, fsync_tree, new_version_dir, switch_to
from askdocs.index.manifest import Manifest
from askdocs.index.provenance import describe
from askdocs.index.search_indexes import Change, write_search_indexes
from askdocs.index.store import Store
from askdocs.ingest.models import Document
from askdocs.settings import Settings


class NewVersion:
    """A version being written: a copy of the live store (or an empty one) growing by batches.

    `base` is the live version's folder and manifest (None for the first version)."""

    def __init__(
        self,
        root: Path,
        old_store: Store | None,
        base: tuple[Path, Manifest] | None,
        embedder: Embedder,
        settings: Settings,
        report: IngestReport,
        progress: bool,
    ) -> None:
        self.root, self.old_store, self.base = root, old_store, base
        self.embedder, self.settings, self.report = embedder, settings, report
        self.folder = new_version_dir(root)
        self._bar: Any = None  # tqdm's
        if progress:
            from tqdm import tqdm

            self._bar = tqdm(desc="Embedding", unit=" chunks", position=1, leave=True)
        # The chunks this version drops or replaces, and the documents it writes: its search
        # indexes are the previous version's without the first, with the chunks of the second.
        self._gone: list[np.ndarray] = []
        self._written: list[str] = []
        with self._abandoned_on_error():
            self.store = (
                old_store.copy_to(self.folder / STORE) if old_store else Store(self.folder / STORE)
            )

    def add(self, docs: list[Document]) -> None:
        """Chunk, embed and store a batch of documents (replacing those with their ids)."""
        with self._abandoned_on_error():
            if self.old_store is not None:
                self._gone.append(self.old_store.chunk_ids(d.id for d in docs))
            advance = self._bar.update if self._bar is not None else False
            _add_documents(self.store, docs, self.embedder, self.settings, self.report, advance)
            self.store.commit()
            self._written.extend(d.id for d in docs)

    def finish(self, remove_ids: Iterable[str]) -> str:
        """Remove documents by id, write the search indexes and the manifest, switch to this
        version; its name."""
        with self._abandoned_on_error():
            removing = list(remove_ids)
            if self.old_store is not None:
                self._gone.append(self.old_store.chunk_ids(removing))
            for doc_id in removing:
                self.store.delete_document(doc_id)
            self.store.commit()
            report = self.report
            report.documents, report.chunks = self.store.count()
            change = None
            if self.base is not None:
                gone = np.concatenate(self._gone) if self._gone else np.zeros(0, np.int64)
                new = self.store.chunk_ids(self._written)
                change = Change(self.base[0], self.base[1].vector_index, gone, new)
            dimension, with_context = self.embedder.dimension, self.settings.chunk_context
            spec = write_search_indexes(self.store, self.folder, dimension, with_context, change)
            self._close()
            describe(
                self.folder, self.embedder, self.settings, spec, (report.documents, report.chunks)
            )
            fsync_tree(self.folder)
            switch_to(self.root, self.folder)
        return self.folder.name

    def abandon(self) -> None:
        """Give the version up: the live one stays."""
        self._close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @contextlib.contextmanager
    def _abandoned_on_error(self) -> Iterator[None]:
        """Abandon the version on any error; a failed write (disk full, I/O error, file too
        large) is raised as an IndexError_ saying the previous version is unchanged."""
        try:
            yield
        except BaseException as exc:
            self.abandon()
            if isinstance(exc, OSError | sqlite3.Error):
                raise IndexError_(
                    f"could not write the new index version in {self.root}: {exc}; "
                    "the previous version is unchanged"
                ) from exc
            raise

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if getattr(self, "store", None) is not None:
            self.store.close()


def _add_documents(
    store: Store,
    docs: list[Document],
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
    progress: Progress,
) -> None:
    """Chunk the documents, embed their chunks in one batched pass, store them."""
    inputs, vectors, span_vectors = chunk_and_embed(docs, embedder, settings, report, progress)
    per_doc, spans = inputs.per_doc, inputs.spans
    chunks_flat = [c for chunks in per_doc for c in chunks]
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
