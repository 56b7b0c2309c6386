"""Each search mode on the real sample index."""

from __future__ import annotations

import pytest

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
