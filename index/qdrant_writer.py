"""Ingest into Qdrant (ASKDOCS_BACKEND=qdrant): incremental by content hash, like the embedded
writer (index/writer.py), whose report it returns.

A new or changed document is chunked and embedded exactly as the embedded writer does
(index/embedding_inputs.py); its new points are written before the old ones are deleted, so a
crash leaves the old or the new chunks (or both, until the next ingest of that file), never
none. Unchanged documents cost one payload read. Qdrant has no transaction across points:
a replica may see a document half replaced while an ingest runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askdocs.index.backend import location
from askdocs.index.embedder import Embedder
from askdocs.index.embedding_inputs import chunk_and_embed
from askdocs.index.ingest_plan import changed_documents, removed_ids
from askdocs.index.ingest_report import FormatStats, IngestReport
from askdocs.index.lexical import tokenize
from askdocs.index.manifest import Manifest
from askdocs.index.provenance import build_manifest, check_backend, check_compatible
from askdocs.index.qdrant_schema import (
    DENSE,
    SPARSE,
    TERMS,
    Meta,
    Names,
    bm25_vector,
    client_for,
    document_point_id,
    ensure_collections,
    presence_vector,
    sentence_point_id,
)
from askdocs.ingest.chunk import context_of
from askdocs.ingest.documents import Skipped, discover, load_documents
from askdocs.ingest.models import Chunk, Document
from askdocs.settings import Settings

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

BATCH = 256  # points per upsert request
# Stored BM25 weights use the average length of when they were written; past this relative
# drift of the true average every sparse vector is reweighted (an O(collection) pass).
AVERAGE_DRIFT = 0.02


def ingest_paths(
    paths: Iterable[Path],
    embedder: Embedder,
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """`index.writer.ingest_paths` into Qdrant."""
    started = time.perf_counter()
    files, skipped = discover(paths)
    loaded = list(load_documents(files))
    docs = [d for d in loaded if isinstance(d, Document)]
    skipped += [d for d in loaded if isinstance(d, Skipped)]
    loading = time.perf_counter() - started
    gone = (lambda source: not Path(source).exists()) if prune else None
    report = ingest_documents(docs, embedder, settings, remove_if=gone, skipped=skipped)
    report.timings["loading"] = loading
    _tally_formats(report, client_for(settings), Names.of(settings), docs)
    return report


def _tally_formats(
    report: IngestReport, client: QdrantClient, names: Names, docs: list[Document]
) -> None:
    """Fill `report.formats`: files read and skipped, pages and stored chunks per suffix."""
    chunks: dict[str, int] = {}
    if client.collection_exists(names.documents):
        points = _scroll(client, names.documents, ["source", "chunk_ids"])
        chunks = {p.payload["source"]: len(p.payload["chunk_ids"]) for p in points}
    for doc in docs:
        entry = report.formats.setdefault(_suffix(doc.source), FormatStats())
        entry.files += 1
        entry.pages += doc.pages or 0
        entry.chunks += chunks.get(doc.source, 0)
    for skipped in report.skipped:
        report.formats.setdefault(_suffix(skipped.path), FormatStats()).skipped += 1


def _suffix(path: str) -> str:
    return Path(path).suffix.lower() or "(none)"


def ingest_documents(
    docs: Iterable[Document],
    embedder: Embedder,
    settings: Settings,
    remove_if: Callable[[str], bool] | None = None,
    remove_ids: Iterable[str] = (),
    skipped: list[Skipped] | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """`index.writer.ingest_documents` into Qdrant: add or replace `docs` (by source), remove
    documents by id or by `remove_if(source)`."""
    report = IngestReport(skipped=list(skipped or []))
    started = time.perf_counter()
    client, names = client_for(settings), Names.of(settings)
    meta = Meta.load(client, names)
    if meta is not None:
        manifest = Manifest(**meta.manifest)
        check_compatible(manifest, embedder, settings, location(settings))
    stored = _stored(client, names)
    seen: set[str] = set()
    to_write = list(changed_documents(docs, stored, seen, report))
    wanted_ids = removed_ids(stored, seen, remove_ids, remove_if, report)
    report.version = names.chunks
    if meta is not None and to_write:
        check_backend(Manifest(**meta.manifest), embedder, location(settings))
    if to_write or report.removed or meta is None:
        ensure_collections(client, names, embedder.dimension, settings.qdrant_url is not None)
        meta = meta or Meta(_manifest(embedder, settings))
        _write(client, names, meta, to_write, wanted_ids, embedder, settings, report)
        meta.manifest["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        meta.save(client, names)
    report.documents, report.chunks = meta.manifest["documents"], meta.manifest["chunks"]
    total = time.perf_counter() - started
    report.timings["writing"] = total - sum(report.timings.values())
    return report


def _manifest(embedder: Embedder, settings: Settings) -> dict[str, Any]:
    """The manifest of a new Qdrant collection (no files, so no checksums)."""
    return asdict(build_manifest(embedder, settings, "qdrant:hnsw", (0, 0), {}))


def _scroll(
    client: QdrantClient, name: str, payload: list[str] | bool, flt: Any = None
) -> Iterator[Any]:
    """Every point of `name` (matching `flt`) with the payload fields asked for."""
    offset = None
    while True:
        points, offset = client.scroll(
            name, scroll_filter=flt, limit=1024, offset=offset, with_payload=payload
        )
        yield from points
        if offset is None:
            return


def stored_documents(settings: Settings) -> dict[str, tuple[str, str]]:
    """source -> (doc id, content hash) of every document stored under `settings`."""
    return _stored(client_for(settings), Names.of(settings))


def _stored(client: QdrantClient, names: Names) -> dict[str, tuple[str, str]]:
    """source -> (doc id, content hash) of every stored document."""
    if not client.collection_exists(names.documents):
        return {}
    fields = ["doc_id", "source", "content_hash"]
    return {
        p.payload["source"]: (p.payload["doc_id"], p.payload["content_hash"])
        for p in _scroll(client, names.documents, fields)
    }


def _read_text(chunk_text: str, title: str, section: str | None, with_context: bool) -> str:
    """What BM25 reads of a chunk: its text, after its title and section with chunk_context."""
    return (context_of(title, section, chunk_text) if with_context else "") + chunk_text


def _write(
    client: QdrantClient,
    names: Names,
    meta: Meta,
    docs: list[Document],
    remove_ids: set[str],
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
) -> None:
    from qdrant_client.http import models

    inputs, vectors, span_vectors = chunk_and_embed(docs, embedder, settings, report)
    # Old points of replaced and removed documents: deleted once the new ones are written.
    replaced = {d.id for d in docs} | remove_ids
    old_docs: list[Any] = client.retrieve(
        names.documents,
        [document_point_id(i) for i in replaced],
        with_payload=["doc_id", "dl", "chunk_ids"],
    )
    old_ids = [i for p in old_docs for i in p.payload["chunk_ids"]]
    fields = ["doc_id", "text", "title", "section"]
    old: list[Any] = client.retrieve(names.chunks, old_ids, with_payload=fields) if old_ids else []
    for p in old:
        tokens = tokenize([_read_text(*_about(p.payload), settings.chunk_context)])[0]
        meta.chunk_tokens -= len(tokens)
    meta.doc_tokens -= sum(int(p.payload.get("dl", 0)) for p in old_docs)
    # New points, with BM25 weights at the average length the collection will have.
    new_chunks: list[tuple[int, Chunk, Document, list[str], Any]] = []
    row = 0
    doc_tokens: dict[str, list[str]] = {}
    for doc, chunks in zip(docs, inputs.per_doc, strict=True):
        reads = []
        for chunk in chunks:
            read = _read_text(chunk.text, doc.title, chunk.section, settings.chunk_context)
            tokens = tokenize([read])[0]
            meta.chunk_tokens += len(tokens)
            new_chunks.append((meta.next_chunk_id, chunk, doc, tokens, vectors[row]))
            meta.next_chunk_id += 1
            reads.append(read)
            row += 1
        doc_tokens[doc.id] = tokenize(["\n".join(reads)])[0]
        meta.doc_tokens += len(doc_tokens[doc.id])
    documents = meta.manifest["documents"] + len(docs) - len(old_docs)
    chunks_total = meta.manifest["chunks"] + len(new_chunks) - len(old)
    chunk_average = meta.chunk_tokens / chunks_total if chunks_total else 0.0
    doc_average = meta.doc_tokens / documents if documents else 0.0
    reweight = _drifted(meta.chunk_average, chunk_average) or _drifted(
        meta.doc_average, doc_average
    )
    if reweight or not meta.chunk_average:
        meta.chunk_average, meta.doc_average = chunk_average, doc_average
    chunk_points = [
        models.PointStruct(
            id=cid,
            vector={
                DENSE: vector.tolist(),
                SPARSE: bm25_vector(tokens, meta.chunk_average),
                TERMS: presence_vector(tokens),
            },
            payload={
                "doc_id": doc.id,
                "text": chunk.text,
                "start": chunk.start,
                "end": chunk.end,
                "section": chunk.section,
                "page": chunk.page,
                "title": doc.title,
                "source": doc.source,
                "content_hash": doc.content_hash,
            },
        )
        for cid, chunk, doc, tokens, vector in new_chunks
    ]
    _upsert(client, names.chunks, chunk_points)
    ids_by_doc: dict[str, list[int]] = {}
    for cid, _, doc, _, _ in new_chunks:
        ids_by_doc.setdefault(doc.id, []).append(cid)
    doc_points = [
        models.PointStruct(
            id=document_point_id(doc.id),
            vector={SPARSE: bm25_vector(doc_tokens[doc.id], meta.doc_average)},
            payload={
                "doc_id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "text": doc.text,
                "content_hash": doc.content_hash,
                "spans": [[s.start, s.end, s.section, s.page] for s in doc.spans],
                "chunk_ids": ids_by_doc.get(doc.id, []),
                "dl": len(doc_tokens[doc.id]),
            },
        )
        for doc in docs
    ]
    _upsert(client, names.documents, doc_points)
    _write_sentences(client, names, docs, inputs, span_vectors, remove_ids)
    # The old points go last.
    if old:
        client.delete(names.chunks, models.PointIdsList(points=[p.id for p in old]))
    gone: list[Any] = [document_point_id(i) for i in remove_ids]
    if gone:
        client.delete(names.documents, models.PointIdsList(points=gone))
    meta.manifest["documents"], meta.manifest["chunks"] = documents, chunks_total
    if reweight:
        _reweight(client, names, meta, settings.chunk_context)


def _about(payload: dict[str, Any]) -> tuple[str, str, str | None]:
    return payload["text"], payload["title"], payload.get("section")


def _drifted(recorded: float, actual: float) -> bool:
    return bool(recorded) and abs(actual - recorded) > AVERAGE_DRIFT * recorded


def _upsert(client: QdrantClient, name: str, points: list[Any]) -> None:
    for start in range(0, len(points), BATCH):
        client.upsert(name, points[start : start + BATCH])


def _write_sentences(
    client: QdrantClient,
    names: Names,
    docs: list[Document],
    inputs: Any,
    span_vectors: list[Any],
    remove_ids: set[str],
) -> None:
    """The answer sentences' vectors of the new documents; those of replaced or removed
    documents that the new ones do not hold are deleted."""
    from qdrant_client.http import models

    points = []
    row = 0
    for doc, chunks in zip(docs, inputs.per_doc, strict=True):
        for chunk in chunks:
            for (s, e), vector in zip(inputs.spans[row], span_vectors[row], strict=True):
                start, end = chunk.start + s, chunk.start + e
                points.append(
                    models.PointStruct(
                        id=sentence_point_id(doc.id, start, end),
                        vector={DENSE: vector.tolist()},
                        payload={"doc_id": doc.id, "start": start, "end": end},
                    )
                )
            row += 1
    kept = {p.id for p in points}
    affected = {d.id for d in docs} | remove_ids
    of_affected = models.Filter(
        must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=sorted(affected)))]
    )
    stale = [
        p.id for p in _scroll(client, names.sentences, False, of_affected) if p.id not in kept
    ] if affected else []  # fmt: skip
    _upsert(client, names.sentences, points)
    if stale:
        client.delete(names.sentences, models.PointIdsList(points=stale))


def _reweight(client: QdrantClient, names: Names, meta: Meta, with_context: bool) -> None:
    """Rewrite every sparse vector with the current average lengths."""
    from qdrant_client.http import models

    fields = ["doc_id", "text", "title", "section"]
    by_doc: dict[str, list[tuple[int, str]]] = {}
    updates = []
    for p in _scroll(client, names.chunks, fields):
        read = _read_text(*_about(p.payload), with_context)
        by_doc.setdefault(p.payload["doc_id"], []).append((int(p.id), read))
        tokens = tokenize([read])[0]
        updates.append(
            models.PointVectors(id=p.id, vector={SPARSE: bm25_vector(tokens, meta.chunk_average)})
        )
    for start in range(0, len(updates), BATCH):
        client.update_vectors(names.chunks, updates[start : start + BATCH])
    doc_updates = []
    for doc_id, rows in by_doc.items():
        reads = [read for _, read in sorted(rows)]
        tokens = tokenize(["\n".join(reads)])[0]
        doc_updates.append(
            models.PointVectors(
                id=document_point_id(doc_id),
                vector={SPARSE: bm25_vector(tokens, meta.doc_average)},
            )
        )
    for start in range(0, len(doc_updates), BATCH):
        client.update_vectors(names.documents, doc_updates[start : start + BATCH])
