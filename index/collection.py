"""Opening an index version and searching it: dense, lexical or hybrid."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from askdocs.errors import CorruptIndexError, IncompatibleIndexError, NotFoundError
from askdocs.index.embedder import Embedder
from askdocs.index.fusion import fuse
from askdocs.index.integrity import FileStamp, file_checksum, stamp
from askdocs.index.layout import LEXICAL, STORE, VECTORS, choose_version, version_dirs
from askdocs.index.lexical import (
    DOCUMENT_WEIGHT,
    TOKENIZER,
    LexicalIndex,
    inverse_document_frequency,
)
from askdocs.index.manifest import Manifest
from askdocs.index.rerank import RerankConfig, rerank
from askdocs.index.store import DocumentInfo, SentenceKey, Store, StoredChunk
from askdocs.index.vectors import VectorIndex
from askdocs.ingest.models import Document
from askdocs.settings import SearchMode, Settings

log = logging.getLogger("askdocs.index")


@dataclass(frozen=True)
class SearchConfig:
    """How the rankings are made and fused; the defaults are the settings' defaults."""

    dense_weight: float = 0.6  # share of the dense score in hybrid (index/fusion.py)
    # Each ranking feeding hybrid fusion is this many times deeper than the results asked for,
    # and at least `min_depth`: fusion normalises each ranking's scores over these candidates.
    depth: int = 4
    min_depth: int = 1000
    document_weight: float = DOCUMENT_WEIGHT  # of a chunk's document in BM25 (index/lexical.py)

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchConfig:
        """The configuration `settings` asks for (ASKDOCS_FUSION_*, ASKDOCS_LEXICAL_*)."""
        return cls(
            settings.fusion_dense_weight,
            settings.fusion_depth,
            settings.fusion_min_depth,
            settings.lexical_document_weight,
        )


@dataclass(frozen=True)
class SearchHit:
    """One search result: a stored chunk and its score under the mode used."""

    stored: StoredChunk
    score: float


class Collection:
    """A read-only view of one index version."""

    def __init__(
        self,
        root: Path,
        folder: Path,
        manifest: Manifest,
        store: Store,
        vectors: VectorIndex,
        lexical: LexicalIndex,
        embedder: Embedder,
        rerank: RerankConfig | None = None,
        search: SearchConfig | None = None,
    ) -> None:
        self.root = root
        self.folder = folder
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.lexical = lexical
        self.embedder = embedder
        self.rerank = rerank or RerankConfig()
        self.search_config = search or SearchConfig()
        # Set when this is not the live version: why the live one could not be opened.
        self.warning: str | None = None
        self._store_stamp: FileStamp | None = None
        self._check_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        root: Path,
        embedder: Embedder,
        check: bool = True,
        fallback: bool = False,
        rerank: RerankConfig | None = None,
        search: SearchConfig | None = None,
    ) -> Collection:
        """Open the live version of the index at `root`.

        Raises IndexNotFoundError, IncompatibleIndexError (other model or format) or
        CorruptIndexError (CURRENT unreadable, the version unfinished, a file missing or, when
        `check` is set, failing its checksum: hashed on the first open of a version only, see
        index/integrity.py). With `fallback`, a corrupt live version gives way to the newest
        older version that is intact, checksums included; `warning` then says so.
        CorruptIndexError when none is.

        Searches use the weights `search` gives (the settings'; the manifest records those the
        ingest ran with); query vectors may come from another backend of the same model, whose
        vectors agree to rounding (index/embedder.py).
        """
        # Taken before the checksums are read, so a change made after them is noticed.
        stamps = {p: stamp(p / STORE) for p in version_dirs(root)}
        folder, manifest, warning = choose_version(root, deep=check, fallback=fallback)
        if warning is not None:
            log.warning("%s", warning)
        manifest.check_model(embedder.model_name, root)
        if manifest.lexical_tokenizer != TOKENIZER:
            raise IncompatibleIndexError(
                f"the BM25 index at {root} was tokenized otherwise than this askdocs reads "
                "queries; ingest your documents again into a new --index"
            )
        view = cls(
            root,
            folder,
            manifest,
            Store(folder / STORE, readonly=True),
            VectorIndex.load(folder / VECTORS, manifest.vector_index),
            LexicalIndex.load(folder / LEXICAL),
            embedder,
            rerank,
            search,
        )
        view.warning = warning
        view._store_stamp = stamps.get(folder)
        return view

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder, check: bool = True, fallback: bool = False
    ) -> Collection:
        """`open` the index of `settings`, searched the way they ask."""
        return cls.open(
            settings.index,
            embedder,
            check,
            fallback,
            RerankConfig.from_settings(settings),
            SearchConfig.from_settings(settings),
        )

    def ensure_intact(self) -> None:
        """Raise CorruptIndexError once the store has failed a read, or when its file changed
        on disk since it was opened and no longer matches its checksum.

        Versions are never rewritten, so a changed file is damage; a stat costs microseconds,
        and the checksum is read only when the stat differs. SQLite notices some damage only
        as wrong bytes in a text, so the file is checked rather than trusted.
        """
        if self.store.failure is not None:
            raise CorruptIndexError(self.store.failure)
        path = self.folder / STORE
        if stamp(path) == self._store_stamp:
            return
        with self._check_lock:
            if self.store.failure is not None:  # found by another thread meanwhile
                raise CorruptIndexError(self.store.failure)
            now = stamp(path)
            if now == self._store_stamp:
                return
            if now is None or file_checksum(path) != self.manifest.checksums.get(STORE):
                self.store.failure = (
                    f"index file {path} changed on disk and fails its checksum: this index "
                    "version is corrupt"
                )
                raise CorruptIndexError(self.store.failure)
            self._store_stamp = now  # touched, same bytes

    def close(self) -> None:
        """Release the SQLite connection."""
        self.store.close()

    @property
    def version(self) -> str:
        """Name of the version this view reads."""
        return self.folder.name

    def search(self, query: str, k: int = 5, mode: SearchMode = "hybrid") -> list[SearchHit]:
        """The `k` best chunks for `query`, best first."""
        ranked = self.rank(query, k, mode)
        stored = self.store.chunks(cid for cid, _ in ranked)
        return [SearchHit(stored[cid], score) for cid, score in ranked if cid in stored]

    def rank(self, query: str, k: int, mode: SearchMode = "hybrid") -> list[tuple[int, float]]:
        """(chunk id, score) of the `k` best chunks, without loading their texts."""
        if mode == "dense":
            return self.vectors.search(self.embedder.encode_query(query), k)
        if mode == "lexical":
            return self.lexical.search(query, k, self.search_config.document_weight)
        depth = max(k * self.search_config.depth, self.search_config.min_depth)
        query_vector = self.embedder.encode_query(query)
        dense = self.vectors.search_arrays(query_vector, depth)
        lexical = self.lexical.search_arrays(query, depth, self.search_config.document_weight)
        fused = fuse(
            dense, lexical, self.search_config.dense_weight, limit=max(k, self.rerank.depth)
        ).pairs()
        reranked = rerank(fused, query, query_vector, self.store, self.lexical, self.rerank)
        return reranked[:k]

    def get_document(self, doc_id: str) -> Document:
        """A document by id; NotFoundError if it is not in the collection."""
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id!r}")
        return doc

    def list_documents(self) -> list[DocumentInfo]:
        """All documents without their texts."""
        return self.store.list_documents()

    def count(self) -> tuple[int, int]:
        """(documents, chunks)."""
        return self.store.count()

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by id (those that exist)."""
        return self.store.chunks(ids)

    def iter_chunks(self) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        """All chunks in id order as batches of (ids, texts, vectors)."""
        return self.store.iter_chunks()

    def sentence_vectors(self, keys: list[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of the answer sentences asked for (missing ones left out)."""
        return self.store.sentence_vectors(keys)

    def inverse_document_frequency(self, tokens: list[str]) -> dict[str, float]:
        """BM25's idf of each (tokenized) term over the chunks."""
        return inverse_document_frequency(self.lexical, tokens)
