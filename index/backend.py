"""What the service, the answerer and the evals need of an index, whatever holds it.

Two backends satisfy `Backend`: the embedded one (index/collection.py: FAISS, SQLite and bm25s
on local disk, the default) and Qdrant (index/qdrant_backend.py, ASKDOCS_BACKEND=qdrant).
`open_backend` picks one from the settings; the Qdrant modules are imported only then, so the
embedded backend costs no qdrant_client import.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from askdocs.settings import SearchMode, Settings

if TYPE_CHECKING:
    from askdocs.index.collection import SearchHit
    from askdocs.index.embedder import Embedder
    from askdocs.index.manifest import Manifest
    from askdocs.index.store import DocumentInfo, SentenceKey, StoredChunk
    from askdocs.ingest.models import Document


class Backend(Protocol):
    """A read view of a collection: search, documents, and the statistics the answerer reads."""

    embedder: Embedder
    warning: str | None  # set when serving something other than the live index

    @property
    def manifest(self) -> Manifest:
        """How the collection was built, with its document and chunk counts."""
        ...

    @property
    def version(self) -> str:
        """Name of what this view reads (an index version, a Qdrant collection)."""
        ...

    def search(self, query: str, k: int = 5, mode: SearchMode = "hybrid") -> list[SearchHit]:
        """The `k` best chunks for `query`, best first."""
        ...

    def rank(self, query: str, k: int, mode: SearchMode = "hybrid") -> list[tuple[int, float]]:
        """(chunk id, score) of the `k` best chunks, without loading their texts."""
        ...

    def get_document(self, doc_id: str) -> Document:
        """A document with its text; NotFoundError when there is none with that id."""
        ...

    def list_documents(self) -> list[DocumentInfo]:
        """All documents without their texts, by title."""
        ...

    def count(self) -> tuple[int, int]:
        """(documents, chunks)."""
        ...

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by id (those that exist)."""
        ...

    def iter_chunks(self) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        """All chunks in id order as batches of (ids, texts, vectors)."""
        ...

    def sentence_vectors(self, keys: list[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of the answer sentences asked for (missing ones left out)."""
        ...

    def inverse_document_frequency(self, tokens: list[str]) -> dict[str, float]:
        """BM25's idf of each (tokenized) term over the chunks (index/lexical.py)."""
        ...

    def ensure_intact(self) -> None:
        """Raise CorruptIndexError when what this view reads broke while serving."""
        ...

    def close(self) -> None:
        """Release what the view holds."""
        ...


def location(settings: Settings) -> Path | str:
    """What messages name as the index: the index directory, or for Qdrant its location and
    collection prefix."""
    if settings.backend == "qdrant":
        return f"{settings.qdrant_url or settings.qdrant_path}#{settings.qdrant_collection}"
    return settings.index


def stored_hashes(settings: Settings) -> dict[str, str]:
    """source -> content hash of every document the settings' backend stores now."""
    if settings.backend == "qdrant":
        from askdocs.index.qdrant_writer import stored_documents

        return {source: digest for source, (_, digest) in stored_documents(settings).items()}
    from askdocs.index.uploads import live_hashes

    return live_hashes(settings.index)


def open_backend(
    settings: Settings, embedder: Embedder, check: bool = True, fallback: bool = False
) -> Backend:
    """The collection `settings` name, searched the way they ask: the index directory
    (embedded) or the Qdrant collections (ASKDOCS_BACKEND=qdrant)."""
    if settings.backend == "qdrant":
        from askdocs.index.qdrant_backend import QdrantCollection

        return QdrantCollection.from_settings(settings, embedder)
    from askdocs.index.collection import Collection

    return Collection.from_settings(settings, embedder, check, fallback)
