"""How askdocs lays a collection out in Qdrant, and the client that reaches it.

Four Qdrant collections share a prefix (ASKDOCS_QDRANT_COLLECTION, default "askdocs"):

- `<p>_chunks`: one point per chunk, id = the chunk id (an integer, as in the embedded store).
  A dense vector "dense" (the model's unit vectors, dot product = cosine, as FAISS's inner
  product in index/vectors.py) and a sparse vector "bm25": BM25's term-frequency part computed
  here with askdocs's own tokenizer and stemmer (index/lexical.py), k1 = 1.5, b = 0.75 and the
  chunk length over the average length, bm25s's "lucene" variant; Qdrant multiplies in the idf
  (`Modifier.IDF`, the same formula, ln(1 + (N - df + 0.5) / (df + 0.5))). Payload: doc id,
  offsets, section, page, text, the document's title, source and content hash.
- `<p>_documents`: one point per document (id = uuid5 of the doc id) with its text, spans,
  content hash and chunk ids, and a "bm25" sparse vector of the whole document (the
  document-level BM25 of index/lexical.py).
- `<p>_sentences`: the answer sentences' vectors, id = uuid5 of (doc id, start, end).
- `<p>_meta`: one point holding the build (model, chunking, counts, average lengths, the next
  chunk id).

The chunks carry a third vector, "terms": 1 for each term they hold, with `Modifier.IDF`. A
query of one term on it scores any chunk holding the term with that term's idf, exactly as
Qdrant computes it for "bm25": the answerer's idf features (service/answerer/) read it there, and
no term table has to be kept in step with the chunks.

qdrant_client is an optional extra, imported on first use only (`require`).
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from askdocs.errors import MissingExtraError
from askdocs.index.lexical_terms import K1, B  # the embedded index's BM25 parameters
from askdocs.settings import Settings

if TYPE_CHECKING:
    from qdrant_client import QdrantClient
    from qdrant_client.http import models

DENSE = "dense"
SPARSE = "bm25"
TERMS = "terms"
META_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "askdocs:meta"))
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "askdocs")

_clients: dict[tuple[str, str], QdrantClient] = {}
_clients_lock = threading.Lock()


def require() -> Any:
    """The qdrant_client module; MissingExtraError naming the pip command when it is absent."""
    try:
        import qdrant_client
    except ImportError as exc:
        raise MissingExtraError("qdrant-client", "qdrant") from exc
    return qdrant_client


def client_for(settings: Settings) -> QdrantClient:
    """One client per Qdrant location and process: local mode locks its folder, so the writer
    and the readers of one process must share a client."""
    qdrant_client = require()
    if settings.qdrant_url is not None:
        key = ("url", settings.qdrant_url)
    else:
        assert settings.qdrant_path is not None  # Settings validates exactly one is set
        key = ("path", str(settings.qdrant_path.resolve()))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            if key[0] == "url":
                client = qdrant_client.QdrantClient(
                    url=settings.qdrant_url, api_key=settings.qdrant_api_key
                )
            else:
                settings.qdrant_path.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
                client = qdrant_client.QdrantClient(path=key[1])
            if not _clients:  # closed before the interpreter tears its modules down
                atexit.register(close_clients)
            _clients[key] = client
        return client


def close_clients() -> None:
    """Close every cached client (tests, to release local-mode folders)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


@dataclass(frozen=True)
class Names:
    """The four collection names of one askdocs collection."""

    chunks: str
    documents: str
    sentences: str
    meta: str

    @classmethod
    def of(cls, settings: Settings) -> Names:
        """The names under the settings' prefix."""
        p = settings.qdrant_collection
        return cls(f"{p}_chunks", f"{p}_documents", f"{p}_sentences", f"{p}_meta")


def ensure_collections(client: QdrantClient, names: Names, dimension: int, remote: bool) -> None:
    """Create whichever of the four collections is missing."""
    from qdrant_client.http import models

    sparse = {SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)}
    dense = models.VectorParams(size=dimension, distance=models.Distance.DOT)
    wanted: dict[str, dict[str, Any]] = {
        names.chunks: {
            "vectors_config": {DENSE: dense},
            "sparse_vectors_config": {**sparse, TERMS: sparse[SPARSE]},
        },
        names.documents: {"vectors_config": {}, "sparse_vectors_config": sparse},
        # Sentence vectors are only ever read by id: no graph, vectors on disk.
        names.sentences: {
            "vectors_config": {DENSE: dense.model_copy(update={"on_disk": True})},
            "hnsw_config": models.HnswConfigDiff(m=0),
        },
        names.meta: {"vectors_config": {}},
    }
    for name, config in wanted.items():
        if client.collection_exists(name):
            continue
        client.create_collection(name, **config)
        # Payload indexes speed up filters on a server; local mode has none (and warns).
        if remote and name in (names.chunks, names.sentences, names.documents):
            client.create_payload_index(name, "doc_id", models.PayloadSchemaType.KEYWORD)


def drop_collections(client: QdrantClient, names: Names) -> None:
    """Delete the four collections (tests, and starting over)."""
    for name in (names.chunks, names.documents, names.sentences, names.meta):
        if client.collection_exists(name):
            client.delete_collection(name)


def document_point_id(doc_id: str) -> str:
    """The point id of a document."""
    return str(uuid.uuid5(_NAMESPACE, f"doc\x00{doc_id}"))


def sentence_point_id(doc_id: str, start: int, end: int) -> str:
    """The point id of an answer sentence."""
    return str(uuid.uuid5(_NAMESPACE, f"sentence\x00{doc_id}\x00{start}\x00{end}"))


def token_id(token: str) -> int:
    """A stable 32-bit id of a BM25 token (a stem): Qdrant's sparse indices are uint32, and a
    hash needs no shared vocabulary between writers and replicas. Collisions at a vocabulary
    of 1M stems are a few hundred pairs, each summing two rare terms' counts."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "big")


def term_counts(tokens: list[str]) -> Counter[int]:
    """Term frequency by token id."""
    return Counter(token_id(t) for t in tokens)


def bm25_vector(tokens: list[str], average_length: float) -> models.SparseVector:
    """The BM25 term-frequency part of a text's tokens: tf / (tf + k1 (1 - b + b dl / avgdl)),
    sorted by id. Qdrant multiplies each by the term's idf at query time."""
    from qdrant_client.http import models

    counts = term_counts(tokens)
    norm = K1 * (1 - B + B * len(tokens) / average_length) if average_length > 0 else K1
    ids = sorted(counts)
    return models.SparseVector(indices=ids, values=[counts[i] / (counts[i] + norm) for i in ids])


def query_vector(tokens: list[str]) -> models.SparseVector:
    """A query's sparse vector: each token id with its count (bm25s sums a repeated term)."""
    from qdrant_client.http import models

    counts = term_counts(tokens)
    ids = sorted(counts)
    return models.SparseVector(indices=ids, values=[float(counts[i]) for i in ids])


@dataclass
class Meta:
    """The `<p>_meta` build point: the manifest (counts included) and the writer's state."""

    manifest: dict[str, Any]
    next_chunk_id: int = 1  # SQLite's first rowid: chunk ids as the embedded store numbers them
    chunk_tokens: int = 0  # BM25 tokens over all chunks
    doc_tokens: int = 0  # ... over all documents
    # The average lengths the stored sparse vectors were weighted with (index/qdrant_writer.py
    # reweights them all when the true averages drift further than AVERAGE_DRIFT).
    chunk_average: float = 0.0
    doc_average: float = 0.0

    @classmethod
    def load(cls, client: QdrantClient, names: Names) -> Meta | None:
        """The build point, or None for a collection never written to."""
        if not client.collection_exists(names.meta):
            return None
        found = client.retrieve(names.meta, [META_ID], with_payload=True)
        if not found or not found[0].payload:
            return None
        return cls(**found[0].payload)

    def save(self, client: QdrantClient, names: Names) -> None:
        """Write the build point."""
        from dataclasses import asdict

        from qdrant_client.http import models

        client.upsert(names.meta, [models.PointStruct(id=META_ID, vector={}, payload=asdict(self))])


def presence_vector(tokens: list[str]) -> models.SparseVector:
    """1 for each token id a text holds: queried alone, Qdrant scores it with the term's idf."""
    from qdrant_client.http import models

    ids = sorted(term_counts(tokens))
    return models.SparseVector(indices=ids, values=[1.0] * len(ids))
