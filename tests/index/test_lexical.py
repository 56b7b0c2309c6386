"""BM25 tokenisation: the fast query-side tokenizer must agree with the one the index uses."""

from __future__ import annotations

import bm25s

from askdocs.index.lexical import _STEMMER, LexicalIndex, document_frequency, tokenize
from tests.conftest import SAMPLE_CORPUS


def test_tokenize_agrees_with_bm25s_on_the_sample_corpus() -> None:
    lines = [
        line
        for path in sorted(SAMPLE_CORPUS.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    lines += ["Don't STOP; the U.N.'s 2nd peace-keeping ops in Côte d’Ivoire", "", "a I"]
    expected = bm25s.tokenize(
        lines, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    assert tokenize(lines) == expected


def test_document_frequency_counts_chunks() -> None:
    index = LexicalIndex.build(
        [10, 11, 12], ["peace talks", "peace keeping", "mine action"], ["a", "a", "b"]
    )
    assert document_frequency(index, ["peac", "mine", "absent"]) == {
        "peac": 2,
        "mine": 1,
        "absent": 0,
    }


def test_search_keeps_the_lowest_ids_among_chunks_tying_at_the_cut() -> None:
    texts = ["mine action", "peace talks", "mine action", "mine action", "mine clearance"]
    ids = [50, 40, 30, 20, 10]
    index = LexicalIndex.build(ids, texts, ["a", "b", "c", "d", "e"])
    full = index.search("mine action", 10, document_weight=0.0)
    assert [cid for cid, _ in full] == [20, 30, 50, 10]  # three tie; 40 has no query word
    assert full[0][1] == full[2][1] > full[3][1] > 0
    assert index.search("mine action", 2, document_weight=0.0) == full[:2]
    assert index.search("mine action", 4, document_weight=0.0) == full
    assert index.search("the of", 3) == [] and index.search("mine", 0) == []
