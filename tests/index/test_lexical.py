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
