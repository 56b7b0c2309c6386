"""Opening an index version and searching it: dense, lexical or hybrid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from askdocs.errors import IndexNotFoundError, NotFoundError
from askdocs.settings import SearchMode
from index.embedder import Embedder
from index.fusion import convex_fusion
from index.layout import LEXICAL, STORE, VECTORS, current_version
from index.lexical import LexicalIndex
from index.manifest import Manifest, verify
from index.rerank import RerankConfig, rerank
from index.store import DocumentInfo, Store, StoredChunk
from index.vectors import VectorIndex
from ingest.models import Document

# Each ranking feeding hybrid fusion is this many times deeper than the results asked for;
# fusion normalises each ranking's scores over these candidates (index/fusion.py).
HYBRID_DEPTH = 4
HYBRID_MIN_DEPTH = 1000


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
    ) -> None:
        self.root = root
        self.folder = folder
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.lexical = lexical
        self.embedder = embedder
        self.rerank = rerank or RerankConfig()

    @classmethod
    def open(
        cls,
        root: Path,
        embedder: Embedder,
        check: bool = True,
        rerank: RerankConfig | None = None,
    ) -> Collection:
        """Open the live version of the index at `root`.

        Raises IndexNotFoundError, IncompatibleIndexError (other model or format) or
        CorruptIndexError (a file fails its checksum, when `check` is set).
        """
        folder = current_version(root)
        if folder is None or not folder.is_dir():
            raise IndexNotFoundError(
                f"no index at {root}; create one with: askdocs ingest PATH --index {root}"
            )
        manifest = Manifest.load(folder)
        manifest.check_model(embedder.model_name, root)
        if check:
            verify(folder, manifest)
        return cls(
            root,
            folder,
            manifest,
            Store(folder / STORE, readonly=True),
            VectorIndex.load(folder / VECTORS, manifest.vector_index),
            LexicalIndex.load(folder / LEXICAL),
            embedder,
            rerank,
        )

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
            return self.lexical.search(query, k)
        depth = max(k * HYBRID_DEPTH, HYBRID_MIN_DEPTH)
        query_vector = self.embedder.encode_query(query)
        dense = self.vectors.search(query_vector, depth)
        lexical = self.lexical.search(query, depth)
        fused = convex_fusion(dense, lexical)
        reranked = rerank(fused, query, query_vector, self.store, self.lexical, self.rerank)
        return reranked[:k]

    def similarity(self, query: str, chunk_ids: list[int]) -> np.ndarray:
        """Cosine similarity of `query` to stored chunks, from their stored vectors."""
        vectors = self.store.vectors(chunk_ids, self.manifest.dimension)
        scores: np.ndarray = vectors @ self.embedder.encode_query(query)
        return scores

    def get_document(self, doc_id: str) -> Document:
        """A document by id; NotFoundError if it is not in the collection."""
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id!r}")
        return doc

    def list_documents(self) -> list[DocumentInfo]:
        """All documents without their texts."""
        return self.store.list_documents()
