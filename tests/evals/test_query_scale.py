"""evals/query_scale.py: the synthetic index is a real index of varied SciFact abstracts, and
the script measures it (figures printed, never asserted on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from askdocs.evals.query_scale import (
    SyntheticEmbedder,
    build,
    measure,
    queries_of,
    synthetic_documents,
)
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from tests.conftest import DATASETS

SCIFACT = DATASETS / "scifact"


def test_copies_are_varied_not_identical() -> None:
    docs = synthetic_documents(SCIFACT, 20_000)
    assert len(docs) > 5_183  # more than the corpus holds: copies
    first = {d.id: d for d in docs}
    copy = next(d for d in docs if d.id.endswith("-1"))
    original = first[copy.id.removesuffix("-1")]
    assert copy.text != original.text and copy.title == f"{original.title} (1)"
    assert len({d.source for d in docs}) == len(docs)


def test_synthetic_vectors_are_unit_length_and_the_same_for_the_same_text(
    embedder: Embedder,
) -> None:
    fake = SyntheticEmbedder(embedder)
    vectors = fake.encode(["one text", "another", "one text"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], vectors[2]) and not np.allclose(vectors[0], vectors[1])


def test_the_index_is_searched_and_measured(tmp_path: Path, embedder: Embedder) -> None:
    index = tmp_path / "index"
    built = build(index, SCIFACT, 300, embedder)
    assert built["chunks"] >= 200
    collection = Collection.open(index, embedder)
    try:
        hits = collection.search("cancer cells", k=5)
        assert len(hits) == 5
    finally:
        collection.close()
    figures = measure(index, queries_of(SCIFACT, 4), runs=1, clients=2, embedder=embedder)
    assert set(figures) == {"search", "rank", "ask", "qps"}
    assert all(value > 0 for value in figures.values())
