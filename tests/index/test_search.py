"""Each search mode on the real sample index."""

from __future__ import annotations

import numpy as np
import pytest

from askdocs.evals.questions import load_questions
from askdocs.index.collection import Collection, SearchConfig
from askdocs.index.embedder import Embedder
from askdocs.index.lexical import tokenize
from askdocs.index.rerank import RerankConfig, rerank
from askdocs.settings import SearchMode, Settings
from tests.conftest import SAMPLE_QUESTIONS
from tests.index.fusion_reference import dict_fusion

Ranking = list[tuple[int, float]]

QUESTION = "How many programmes did Spotlight run in its first phase?"


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_mode_ranks_the_answering_chunk_first(sample_collection, mode: str) -> None:
    hits = sample_collection.search(QUESTION, k=5, mode=mode)
    assert len(hits) == 5
    assert "34 programmes across five regions" in hits[0].stored.chunk.text
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        doc = sample_collection.get_document(hit.stored.chunk.doc_id)
        assert doc.text[hit.stored.chunk.start : hit.stored.chunk.end] == hit.stored.chunk.text


def test_lexical_finds_exact_terms_and_ignores_unknown_words(sample_collection) -> None:
    hits = sample_collection.search("UNAIDS resolution 1983", k=3, mode="lexical")
    assert "UNAIDS and DPKO collaborate" in hits[0].stored.chunk.text
    assert sample_collection.search("zzzqqq", k=3, mode="lexical") == []


def test_dense_search_matches_paraphrases(sample_collection) -> None:
    hits = sample_collection.search("landmine victims support", k=3, mode="dense")
    assert any("mine" in h.stored.chunk.text.lower() for h in hits)


# --- the array-based search path against the list-and-dict one it replaced ------------------


def _old_dense(collection: Collection, vector: np.ndarray, k: int) -> Ranking:
    """VectorIndex.search before issue 15: one (id, score) tuple per candidate."""
    index = collection.vectors
    k = min(k, len(index))
    params = index._search_parameters(k)
    x = vector.reshape(1, -1).astype(np.float32)
    scores, ids = (
        index.index.search(x, k) if params is None else index.index.search(x, k, params=params)
    )
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def _old_lexical(collection: Collection, query: str, k: int, weight: float) -> Ranking:
    """LexicalIndex.search before issue 15, candidates sorted as Python tuples; the top k taken
    by their definition (best first, ties by id) where argpartition chose among ties at the cut."""
    lexical = collection.lexical
    assert lexical.bm25 is not None and lexical.documents is not None
    tokens = tokenize([query])[0]
    if not tokens:
        return []
    scores = np.asarray(lexical.bm25.get_scores(tokens), dtype=np.float64)
    scores += weight * np.asarray(lexical.documents.get_scores(tokens))[lexical.owners]
    ranked = sorted(
        ((lexical.ids[row], float(scores[row])) for row in range(len(scores)) if scores[row] > 0),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return ranked[:k]


def _old_rank(collection: Collection, query: str, k: int, mode: SearchMode) -> Ranking:
    config = collection.search_config
    vector = collection.embedder.encode_query(query)
    if mode == "dense":
        return _old_dense(collection, vector, k)
    if mode == "lexical":
        return _old_lexical(collection, query, k, config.document_weight)
    depth = max(k * config.depth, config.min_depth)
    fused = dict_fusion(
        _old_dense(collection, vector, depth),
        _old_lexical(collection, query, depth, config.document_weight),
        config.dense_weight,
    )
    head = fused[: max(k, collection.rerank.depth)]
    return rerank(head, query, vector, collection.store, collection.lexical, collection.rerank)[:k]


def _same(got: Ranking, expected: Ranking) -> None:
    assert [cid for cid, _ in got] == [cid for cid, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "config",
    [
        SearchConfig(),  # every chunk of the sample index is a candidate
        SearchConfig(min_depth=8),  # fewer candidates than chunks: the top-k cut is exercised
        SearchConfig(dense_weight=0.3, depth=2, min_depth=1, document_weight=0.5),
    ],
)
@pytest.mark.parametrize("rerank_depth", [0, 12])
def test_rankings_are_those_of_the_list_based_search_on_every_sample_question(
    sample_settings: Settings,
    sample_collection: Collection,
    embedder: Embedder,
    config: SearchConfig,
    rerank_depth: int,
) -> None:
    collection = Collection.open(
        sample_settings.index,
        embedder,
        check=False,
        rerank=RerankConfig(rerank_depth),
        search=config,
    )
    try:
        assert len(collection.vectors) > 8  # so min_depth=8 cuts
        for question in load_questions(SAMPLE_QUESTIONS):
            for mode in ("dense", "lexical", "hybrid"):
                for k in (1, 5, 40):
                    got = collection.rank(question.question, k, mode)
                    _same(got, _old_rank(collection, question.question, k, mode))
                    if mode == "hybrid":
                        hits = collection.search(question.question, k, mode)
                        _same([(h.stored.id, h.score) for h in hits], got)
    finally:
        collection.close()
