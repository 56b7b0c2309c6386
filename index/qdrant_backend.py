"""Searching a collection kept in Qdrant (ASKDOCS_BACKEND=qdrant; layout in qdrant_schema.py).

Everything lives in Qdrant, so any number of stateless replicas can serve one collection.
Rankings match the embedded backend's (index/collection.py):

- dense: the chunks' "dense" vectors by dot product (unit vectors: cosine, as FAISS's).
- lexical: a chunk's BM25 ("bm25" sparse vector, idf by Qdrant) plus `document_weight` times
  its document's BM25 (the documents' own "bm25" vectors), the embedded index's sum. The
  embedded index scores every chunk; here the candidates are the `depth` best chunks and the
  chunks of the `depth` best documents, which is every chunk with a score whenever fewer
  than `depth` chunks and documents match.
- hybrid: by default (ASKDOCS_QDRANT_FUSION=convex) the two rankings, fetched in one batch
  request, are fused here by index/fusion.py, as embedded; rrf and dbsf let Qdrant fuse them
  itself (one Query API request with two prefetches), without the document-level BM25.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from askdocs.errors import IndexNotFoundError, NotFoundError
from askdocs.index.backend import location
from askdocs.index.collection import SearchConfig, SearchHit
from askdocs.index.embedder import Embedder
from askdocs.index.fusion import Ranking, fuse
from askdocs.index.lexical import TOKENIZER, tokenize
from askdocs.index.manifest import Manifest
from askdocs.index.qdrant_schema import (
    DENSE,
    SPARSE,
    TERMS,
    Meta,
    Names,
    client_for,
    document_point_id,
    presence_vector,
    query_vector,
    sentence_point_id,
)
from askdocs.index.store import DocumentInfo, SentenceKey, StoredChunk
from askdocs.ingest.models import Chunk, Document, Span
from askdocs.settings import SearchMode, Settings

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

_TIE_MARGIN = 16
_CHUNK_FIELDS = ["doc_id", "text", "start", "end", "section", "page", "title", "source"]


class QdrantCollection:
    """A read view of one askdocs collection in Qdrant (satisfies index.backend.Backend)."""

    def __init__(
        self,
        client: QdrantClient,
        names: Names,
        embedder: Embedder,
        search: SearchConfig | None = None,
        fusion: str = "convex",
        where: Path | str = "Qdrant",
    ) -> None:
        self.where = where
        self.client = client
        self.names = names
        self.embedder = embedder
        self.search_config = search or SearchConfig()
        self.fusion = fusion
        self.warning: str | None = None
        self._manifest = self._read_manifest()

    def _read_manifest(self) -> Manifest:
        meta = Meta.load(self.client, self.names)
        if meta is None:
            raise IndexNotFoundError(
                f"no askdocs collection at {self.where} yet; run askdocs ingest"
            )
        return Manifest(**meta.manifest)

    @property
    def manifest(self) -> Manifest:
        """The build point, read again: an ingest from any process changes it live."""
        with suppress(IndexNotFoundError):  # dropped meanwhile: the last one read
            self._manifest = self._read_manifest()
        return self._manifest

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> QdrantCollection:
        """The Qdrant collection `settings` name; IncompatibleIndexError for another model."""
        view = cls(
            client_for(settings),
            Names.of(settings),
            embedder,
            SearchConfig.from_settings(settings),
            settings.qdrant_fusion,
            location(settings),
        )
        view.manifest.check_model(embedder.model_name, location(settings))
        if view.manifest.lexical_tokenizer != TOKENIZER:
            raise IndexNotFoundError(f"{location(settings)} was tokenized otherwise; ingest again")
        return view

    @property
    def version(self) -> str:
        """The collection read (Qdrant collections are live: there are no versions)."""
        return self.names.chunks

    def ensure_intact(self) -> None:
        """Nothing to check here: Qdrant guards its own storage."""

    def close(self) -> None:
        """The client is shared per process (qdrant_schema.client_for): nothing to release."""

    # --- search ----------------------------------------------------------------------------

    def search(self, query: str, k: int = 5, mode: SearchMode = "hybrid") -> list[SearchHit]:
        """The `k` best chunks for `query`, best first."""
        ranked = self.rank(query, k, mode)
        stored = self.chunks([cid for cid, _ in ranked])
        return [SearchHit(stored[cid], score) for cid, score in ranked if cid in stored]

    def rank(self, query: str, k: int, mode: SearchMode = "hybrid") -> list[tuple[int, float]]:
        """(chunk id, score) of the `k` best chunks, without loading their texts."""
        if k <= 0:
            return []
        if mode == "dense":
            return self._dense(self.embedder.encode_query(query), k).pairs()
        depth = max(k * self.search_config.depth, self.search_config.min_depth)
        if mode == "lexical":
            return self._lexical(query, depth).pairs(k)
        vector = self.embedder.encode_query(query)
        if self.fusion != "convex":
            return self._fused_by_qdrant(query, vector, k, depth)
        dense = self._dense(vector, depth)
        lexical = self._lexical(query, depth)
        return fuse(dense, lexical, self.search_config.dense_weight, limit=k).pairs()

    def _dense(self, vector: np.ndarray, limit: int) -> Ranking:
        # A few more than asked, so that ties at the cut are settled as FAISS settles them.
        found = self.client.query_points(
            self.names.chunks,
            query=vector.tolist(),
            using=DENSE,
            limit=limit + _TIE_MARGIN,
            with_payload=False,
        ).points
        return _ranking(faiss_order([(int(p.id), p.score) for p in found], limit))

    def _lexical(self, query: str, depth: int) -> Ranking:
        """Chunk BM25 plus document_weight x document BM25, best first, ties by id."""
        tokens = tokenize([query])[0]
        if not tokens:
            return Ranking.empty()
        sparse = query_vector(tokens)
        own = self.client.query_points(
            self.names.chunks, query=sparse, using=SPARSE, limit=depth, with_payload=False
        ).points
        scores: dict[int, float] = {int(p.id): p.score for p in own}
        weight = self.search_config.document_weight
        if weight:
            docs = self.client.query_points(
                self.names.documents,
                query=sparse,
                using=SPARSE,
                limit=depth,
                with_payload=["chunk_ids"],
            ).points
            for doc in docs:
                for cid in (doc.payload or {}).get("chunk_ids", []):
                    scores[cid] = scores.get(cid, 0.0) + weight * doc.score
        pairs = [(cid, s) for cid, s in scores.items() if s > 0]
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        return _ranking(pairs[:depth])

    def _fused_by_qdrant(
        self, query: str, vector: np.ndarray, k: int, depth: int
    ) -> list[tuple[int, float]]:
        from qdrant_client.http import models

        fusion = models.Fusion.RRF if self.fusion == "rrf" else models.Fusion.DBSF
        prefetch = [models.Prefetch(query=vector.tolist(), using=DENSE, limit=depth)]
        tokens = tokenize([query])[0]
        if tokens:
            prefetch.append(models.Prefetch(query=query_vector(tokens), using=SPARSE, limit=depth))
        found = self.client.query_points(
            self.names.chunks,
            prefetch=prefetch,
            query=models.FusionQuery(fusion=fusion),
            limit=k,
            with_payload=False,
        ).points
        return [(int(p.id), float(p.score)) for p in found]

    # --- chunks and documents --------------------------------------------------------------

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by id (those that exist)."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return {}
        found = self.client.retrieve(self.names.chunks, wanted, with_payload=_CHUNK_FIELDS)
        return {int(p.id): _stored_chunk(int(p.id), p.payload or {}) for p in found}

    def iter_chunks(self) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        """All chunks in id order as batches of (ids, texts, vectors)."""
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.names.chunks,
                limit=4096,
                offset=offset,
                with_payload=["text"],
                with_vectors=[DENSE],
            )
            points = sorted(points, key=lambda p: int(p.id))
            if points:
                ids = np.array([int(p.id) for p in points], dtype=np.int64)
                vectors = np.array([_dense_of(p) for p in points], dtype=np.float32)
                yield ids, [(p.payload or {})["text"] for p in points], vectors
            if offset is None:
                return

    def get_document(self, doc_id: str) -> Document:
        """A document by id; NotFoundError if it is not in the collection."""
        found = self.client.retrieve(
            self.names.documents, [document_point_id(doc_id)], with_payload=True
        )
        if not found or (found[0].payload or {}).get("doc_id") != doc_id:
            raise NotFoundError(f"no document with id {doc_id!r}")
        p = found[0].payload or {}
        spans = [Span(*span) for span in p.get("spans", [])]
        return Document(p["doc_id"], p["title"], p["source"], p["text"], spans, p["content_hash"])

    def list_documents(self) -> list[DocumentInfo]:
        """All documents without their texts, by title then source."""
        fields = ["doc_id", "title", "source", "content_hash", "chunk_ids"]
        infos, offset = [], None
        while True:
            points, offset = self.client.scroll(
                self.names.documents, limit=1024, offset=offset, with_payload=fields
            )
            for p in points:
                d = p.payload or {}
                infos.append(
                    DocumentInfo(
                        d["doc_id"], d["title"], d["source"], d["content_hash"], len(d["chunk_ids"])
                    )
                )
            if offset is None:
                break
        return sorted(infos, key=lambda i: (i.title, i.source))

    def count(self) -> tuple[int, int]:
        """(documents, chunks), counted by Qdrant."""
        documents = self.client.count(self.names.documents, exact=True).count
        return documents, self.client.count(self.names.chunks, exact=True).count

    # --- what the answerer reads -----------------------------------------------------------

    def sentence_vectors(self, keys: list[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of the answer sentences asked for (missing ones left out)."""
        if not keys:
            return {}
        by_id = {sentence_point_id(*key): key for key in keys}
        found = self.client.retrieve(
            self.names.sentences, list(by_id), with_payload=False, with_vectors=[DENSE]
        )
        return {by_id[str(p.id)]: np.asarray(_dense_of(p), dtype=np.float32) for p in found}

    def inverse_document_frequency(self, tokens: list[str]) -> dict[str, float]:
        """BM25's idf of each term over the chunks, as Qdrant computes it (the "terms"
        vector, qdrant_schema.py): one batch request, a one-term query each."""
        from qdrant_client.http import models

        if not tokens:
            return {}
        requests = [
            models.QueryRequest(query=presence_vector([t]), using=TERMS, limit=1) for t in tokens
        ]
        found = self.client.query_batch_points(self.names.chunks, requests)
        # A term no chunk holds: df = 0 over all chunks, the highest idf.
        unseen = float(np.log(1 + (self.manifest.chunks + 0.5) / 0.5))
        return {
            t: float(r.points[0].score) if r.points else unseen
            for t, r in zip(tokens, found, strict=True)
        }


def faiss_order(pairs: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """The `k` best as FAISS's flat index ranks them: scores in float32; of chunks tying at
    the cut the first stored (lowest ids) are kept, and tying chunks come latest stored first.
    Identical chunks (a paragraph two documents share) tie exactly, and which of them comes
    first decides which document an answer cites."""
    rounded = [(cid, float(np.float32(score))) for cid, score in pairs]
    kept = sorted(rounded, key=lambda pair: (-pair[1], pair[0]))[:k]
    return sorted(kept, key=lambda pair: (-pair[1], -pair[0]))


def _ranking(pairs: list[tuple[int, float]]) -> Ranking:
    return Ranking.of(pairs) if pairs else Ranking.empty()


def _dense_of(point: Any) -> list[float]:
    vector = point.vector
    return list(vector[DENSE] if isinstance(vector, dict) else vector)


def _stored_chunk(cid: int, p: dict[str, Any]) -> StoredChunk:
    chunk = Chunk(p["doc_id"], p["text"], p["start"], p["end"], section=p.get("section"),
                  page=p.get("page"))  # fmt: skip
    return StoredChunk(cid, chunk, p["title"], p["source"])
