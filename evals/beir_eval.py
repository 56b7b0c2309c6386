"""BEIR evaluation through askdocs's own index and retriever.

The corpus is ingested like any other documents (`index.writer.ingest_documents`, one Document
per corpus entry, its id the corpus `_id`), so chunking, embedding, BM25 and fusion are the
ones the service uses. A long abstract becomes several chunks; a document scores by its best
chunk. Chunks are ranked deep enough to fill the top 100 documents of every query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from askdocs.evals.beir import BeirDoc
from askdocs.evals.metrics import Qrels, Run, evaluate, evaluate_per_query
from askdocs.index.backend import Backend
from askdocs.ingest.documents import PARAGRAPH, content_hash
from askdocs.ingest.models import Document, Span
from askdocs.settings import SearchMode

BEIR_METRICS = ("ndcg@10", "recall@100", "mrr@10")
RUN_DEPTH = 100
# Chunks ranked per query before grouping them by document: enough for RUN_DEPTH documents
# even when every document has several chunks among the best.
CHUNK_DEPTH = 1000


@dataclass
class BeirResult:
    """One mode's figures on one BEIR split."""

    dataset: str
    split: str
    mode: SearchMode
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]
    run: Run
    documents: int
    chunks: int
    queries: int
    index_seconds: float
    search_seconds: float

    def to_json(self) -> dict[str, object]:
        """The figures without the run and per-query values, seconds rounded."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        del data["per_query"], data["run"]
        data["index_seconds"] = round(self.index_seconds, 2)
        data["search_seconds"] = round(self.search_seconds, 2)
        return data


def beir_document(doc: BeirDoc, source: str) -> Document:
    """A corpus entry as an askdocs Document: the title is the first paragraph of the text (so
    BM25 and the first chunk's embedding read it) and also the Document's title."""
    title = doc.title.strip()
    body = doc.text.strip()
    text = f"{title}{PARAGRAPH}{body}" if title and body else title or body
    spans = [Span(0, len(text))]
    return Document(doc.id, title or doc.id, source, text, spans, content_hash(text))


def beir_documents(directory: Path, entries: Iterable[BeirDoc]) -> list[Document]:
    """The corpus entries that have any text, as Documents whose source is
    `<directory>/corpus.jsonl#<id>`."""
    prefix = f"{directory.resolve() / 'corpus.jsonl'}#"
    return [beir_document(d, prefix + d.id) for d in entries if d.text or d.title]


def chunk_documents(collection: Backend) -> dict[int, str]:
    """Chunk id → document id, for the whole collection."""
    ids = [int(i) for batch, _, _ in collection.iter_chunks() for i in batch]
    return {cid: stored.chunk.doc_id for cid, stored in collection.chunks(ids).items()}


def retrieve(
    collection: Backend,
    queries: dict[str, str],
    mode: SearchMode,
    depth: int = RUN_DEPTH,
    on_query: Callable[[], None] | None = None,
) -> Run:
    """Query id → doc id → score of the `depth` best documents, each scored by its best
    chunk."""
    owner = chunk_documents(collection)
    run: Run = {}
    for query_id, text in queries.items():
        ranked = collection.rank(text, CHUNK_DEPTH, mode)
        docs: dict[str, float] = {}
        for chunk_id, score in ranked:
            doc_id = owner[chunk_id]
            if doc_id not in docs:
                docs[doc_id] = score
                if len(docs) == depth:
                    break
        run[query_id] = docs
        if on_query is not None:
            on_query()
    return run


def score(qrels: Qrels, run: Run) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-query BEIR_METRICS."""
    metrics = list(BEIR_METRICS)
    return evaluate(qrels, run, metrics), evaluate_per_query(qrels, run, metrics)
