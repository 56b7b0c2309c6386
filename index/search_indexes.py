"""A new version's search indexes (FAISS vectors, BM25): the previous version's, changed by what
changed, or built from the whole store.

An update reads the previous version's `vectors.faiss` and BM25 term counts, removes the chunks
that are gone and adds the new ones: FAISS by id (`remove_ids`, `add_with_ids`), BM25 by
recomputing its score matrices from the term counts (index/lexical_terms.py); only the new
chunks are read from the store and tokenized. The result is what a build over the same chunks
makes: the same BM25 scores, and the same vectors (IVF keeps the cells it was trained on).
Whole builds remain for a first version, a version written before term counts were kept, a
vector index whose kind no longer suits the size (flat ↔ IVF, IVF cells, HNSW: it cannot remove
vectors), and, as a safety net, an update whose sizes would not match the store's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from askdocs.index.layout import LEXICAL, VECTORS
from askdocs.index.lexical import LexicalIndex, tokenize
from askdocs.index.lexical_terms import TERMS_DIR, TermCounts
from askdocs.index.store import Store
from askdocs.index.vectors import FLAT, VectorIndex
from askdocs.ingest.chunk import context_of

log = logging.getLogger("askdocs.index")

READ_BATCH = 4096  # chunks read from the store at a time for a whole BM25 build


@dataclass(frozen=True)
class Change:
    """What a new version changes in the previous one (`base`, a verified version folder whose
    vector index the manifest describes as `vector_spec`): the chunk ids gone and new."""

    base: Path
    vector_spec: str
    removed: np.ndarray
    added: np.ndarray


def write_search_indexes(
    store: Store, folder: Path, dimension: int, with_context: bool, change: Change | None
) -> str:
    """Write the vector and BM25 indexes of the chunks in `store` into `folder`, updating the
    previous version's by `change` where possible; return the vector index's manifest spec."""
    count = store.count()[1]
    vectors = _updated_vectors(store, dimension, change, count)
    lexical = _updated_lexical(store, with_context, change, count)
    if vectors is None:
        vectors = _built_vectors(store, dimension)
    if lexical is None:
        every = [int(i) for (i,) in store.db.execute("SELECT id FROM chunks ORDER BY id")]
        parts = [  # read and tokenized a batch at a time: only the counts are kept
            TermCounts.of(*_read_texts(store, every[i : i + READ_BATCH], with_context))
            for i in range(0, len(every), READ_BATCH)
        ]
        lexical = LexicalIndex.from_terms(TermCounts.concatenated(parts))
    vectors.save(folder / VECTORS)
    lexical.save(folder / LEXICAL)
    return vectors.spec


def _updated_vectors(
    store: Store, dimension: int, change: Change | None, count: int
) -> VectorIndex | None:
    """The previous vector index changed by `change`, or None when it must be built anew."""
    if change is None:
        return None
    index = VectorIndex.load(change.base / VECTORS, change.vector_spec)
    if not index.suits(count):
        return None
    added = [int(i) for i in change.added]
    index.replace(change.removed, change.added, store.vectors(added, dimension))
    if len(index) != count:
        log.warning("rebuilding the vector index: its update holds %d of %d", len(index), count)
        return None
    return index


def _updated_lexical(
    store: Store, with_context: bool, change: Change | None, count: int
) -> LexicalIndex | None:
    """The previous BM25 indexes changed by `change`, or None when they must be built anew."""
    if change is None:
        return None
    terms = TermCounts.load(change.base / LEXICAL / TERMS_DIR)
    if terms is None:
        return None
    added = _read_texts(store, [int(i) for i in change.added], with_context)
    updated = terms.replaced(change.removed, TermCounts.of(*added))
    if len(updated) != count:
        log.warning("rebuilding the BM25 indexes: their update holds %d of %d", len(updated), count)
        return None
    return LexicalIndex.from_terms(updated)


def _read_texts(
    store: Store, ids: list[int], with_context: bool
) -> tuple[list[int], list[list[str]], list[str]]:
    """(ids, tokens, document ids) of these chunks as BM25 reads them: each chunk after its
    context, as the model does (index/lexical.py also scores each chunk's whole document)."""
    stored = store.chunks(ids)
    read = [
        (context_of(s.title, s.chunk.section, s.chunk.text) if with_context else "") + s.chunk.text
        for s in (stored[i] for i in ids)
    ]
    return ids, tokenize(read), [stored[i].chunk.doc_id for i in ids]


def _built_vectors(store: Store, dimension: int) -> VectorIndex:
    """A vector index of every chunk in the store. A flat one grows batch by batch, so the
    vectors are held once (in FAISS), not also stacked; IVF trains on them all at once."""
    empty_ids, empty = np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
    if VectorIndex.choose_kind(store.count()[1]) == FLAT:
        index = VectorIndex.build(dimension, empty_ids, empty, kind=FLAT)
        for batch_ids, _, batch_vectors in store.iter_chunks():
            index.replace(empty_ids, batch_ids, batch_vectors)
        return index
    ids: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    for batch_ids, _, batch_vectors in store.iter_chunks():
        ids.append(batch_ids)
        vectors.append(batch_vectors)
    return VectorIndex.build(dimension, np.concatenate(ids), np.vstack(vectors))
