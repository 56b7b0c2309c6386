"""The second stage of hybrid search: fused candidates rescored by their best sentence."""

from __future__ import annotations

from itertools import pairwise

from askdocs.index.collection import Collection
from askdocs.index.fusion import convex_fusion
from askdocs.index.rerank import RerankConfig, rerank

QUESTION = "How many programmes did Spotlight run in its first phase?"


def _fused(collection: Collection, query: str) -> list[tuple[int, float]]:
    vector = collection.embedder.encode_query(query)
    return convex_fusion(
        collection.vectors.search(vector, 200),
        collection.lexical.search(query, 200),
        collection.search_config.dense_weight,
    )


def _rerank(collection: Collection, query: str, config: RerankConfig) -> list[tuple[int, float]]:
    vector = collection.embedder.encode_query(query)
    fused = _fused(collection, query)
    return rerank(fused, query, vector, collection.store, collection.lexical, config)


def test_without_sentence_weights_the_order_is_the_first_stage_one(
    sample_collection: Collection,
) -> None:
    fused = _fused(sample_collection, QUESTION)
    same = _rerank(sample_collection, QUESTION, RerankConfig(10, 0.0, 0.0))
    assert [cid for cid, _ in same] == [cid for cid, _ in fused]
    assert all(a[1] >= b[1] for a, b in pairwise(same))


def test_only_the_head_is_reordered_and_nothing_is_lost(sample_collection: Collection) -> None:
    fused = _fused(sample_collection, QUESTION)
    out = _rerank(sample_collection, QUESTION, RerankConfig(8, 0.5, 0.5))
    assert sorted(cid for cid, _ in out[:8]) == sorted(cid for cid, _ in fused[:8])
    assert [cid for cid, _ in out[8:]] == [cid for cid, _ in fused[8:]]


def test_all_weight_on_the_sentence_vector_ranks_by_the_best_sentence(
    sample_collection: Collection,
) -> None:
    store = sample_collection.store
    vector = sample_collection.embedder.encode_query(QUESTION)
    head = [cid for cid, _ in _fused(sample_collection, QUESTION)[:10]]
    chunks = store.chunks(head)

    def best(cid: int) -> float:
        chunk = chunks[cid].chunk
        found = store.sentences_within(chunk.doc_id, chunk.start, chunk.end)
        return max((float(v @ vector) for _, _, v in found), default=-1.0)

    out = _rerank(sample_collection, QUESTION, RerankConfig(10, 1.0, 0.0))
    assert [cid for cid, _ in out[:10]] == sorted(head, key=lambda cid: (-best(cid), cid))


def test_hybrid_search_with_the_second_stage_puts_the_answering_chunk_first(
    sample_collection: Collection,
) -> None:
    on = Collection(
        sample_collection.root,
        sample_collection.folder,
        sample_collection.manifest,
        sample_collection.store,
        sample_collection.vectors,
        sample_collection.lexical,
        sample_collection.embedder,
        RerankConfig(30),
    )
    top = on.search(QUESTION, k=3)[0]
    assert "34 programmes across five regions" in top.stored.chunk.text
