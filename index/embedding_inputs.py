"""What ingest gives the model: documents chunked, each chunk after its context, and the answer
sentences whose vectors are pooled from the chunk's pass; `chunk_and_embed`, the step both
writers (index/version_writer.py, index/qdrant_writer.py) run before storing. evals/embed_speed.py
times exactly this input."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from askdocs.index.embedder import Embedder, Progress
from askdocs.index.ingest_report import IngestReport
from askdocs.ingest.chunk import chunk_document, context_of
from askdocs.ingest.models import Chunk, Document
from askdocs.ingest.sentences import answer_sentences
from askdocs.settings import Settings


@dataclass
class EmbeddingInputs:
    """Documents chunked for embedding: the chunks per document, the texts the model reads
    (each chunk after its context), and each chunk's answer sentences (offsets within the
    chunk, and `shifted` within the model's text)."""

    per_doc: list[list[Chunk]]
    texts: list[str]
    spans: list[list[tuple[int, int]]]
    shifted: list[list[tuple[int, int]]]


def embedding_inputs(
    docs: list[Document], embedder: Embedder, settings: Settings
) -> EmbeddingInputs:
    """Chunk `docs` as ingest does, and the texts and sentence spans the model is given."""
    per_doc: list[list[Chunk]] = [
        chunk_document(
            doc,
            settings.chunk_tokens,
            settings.chunk_overlap,
            _fits_with_context(doc, embedder, settings.chunk_context),
            paragraphs=settings.chunk_paragraphs,
        )
        for doc in docs
    ]
    chunks_flat = [c for chunks in per_doc for c in chunks]
    # The model reads each chunk after its context (title, section); the stored text is the
    # chunk alone, so offsets and citations are unchanged.
    titles = [doc.title for doc, chunks in zip(docs, per_doc, strict=True) for _ in chunks]
    contexts = [
        context_of(t, c.section, c.text) if settings.chunk_context else ""
        for t, c in zip(titles, chunks_flat, strict=True)
    ]
    # The answerer compares the question with each sentence of the retrieved chunks: their
    # vectors are made now, once (pooled from the chunk's own pass where the backend allows),
    # which keeps that work out of every question.
    spans = _answer_sentence_spans(per_doc)
    shifted = [
        [(s + len(ctx), e + len(ctx)) for s, e in row]
        for ctx, row in zip(contexts, spans, strict=True)
    ]
    texts = [ctx + c.text for ctx, c in zip(contexts, chunks_flat, strict=True)]
    return EmbeddingInputs(per_doc, texts, spans, shifted)


def chunk_and_embed(
    docs: list[Document],
    embedder: Embedder,
    settings: Settings,
    report: IngestReport,
    progress: Progress = False,
) -> tuple[EmbeddingInputs, np.ndarray, list[np.ndarray]]:
    """`embedding_inputs` of `docs`, their chunk vectors and each chunk's sentence vectors;
    chunking and embedding timed into `report`, which also counts the chunks embedded."""
    started = time.perf_counter()
    inputs = embedding_inputs(docs, embedder, settings)
    report.timed("chunking", started)
    started = time.perf_counter()
    vectors, span_vectors = embedder.encode_with_spans(
        inputs.texts, inputs.shifted, progress=progress
    )
    report.timed("embedding", started)
    report.chunks_embedded += len(inputs.texts)
    return inputs, vectors, span_vectors


def _fits_with_context(
    doc: Document, embedder: Embedder, with_context: bool
) -> Callable[[str], bool]:
    """Whether the model reads a chunk of `doc` whole after the longest context it may get."""
    sections = {span.section for span in doc.spans} or {None}
    longest = max((context_of(doc.title, s, "") for s in sections), key=len) if with_context else ""
    return lambda text: embedder.fits(longest + text)


def _answer_sentence_spans(per_doc: list[list[Chunk]]) -> list[list[tuple[int, int]]]:
    """For each chunk, its answer sentences (offsets within the chunk) that no earlier chunk of
    the same document holds: each sentence gets one vector, from the first chunk holding it."""
    out: list[list[tuple[int, int]]] = []
    for chunks in per_doc:
        seen: set[tuple[int, int]] = set()
        for chunk in chunks:
            row = []
            for start, end in answer_sentences(chunk.text, chunk.start):
                if (start, end) not in seen:
                    seen.add((start, end))
                    row.append((start - chunk.start, end - chunk.start))
            out.append(row)
    return out
