"""BM25 from term counts: the score matrices bm25s builds, and the same after a change as a
build of the changed chunks from scratch."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from askdocs.index.lexical import _STEMMER, LexicalIndex, tokenize
from askdocs.index.lexical_terms import TermCounts
from tests.conftest import SAMPLE_CORPUS

QUERIES = ["gender based violence", "Spotlight Initiative funding", "peacekeeping missions women"]


def _lines() -> list[str]:
    """The sample corpus's non-empty lines: a few hundred texts with a real vocabulary."""
    return [
        line
        for path in sorted(SAMPLE_CORPUS.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ] + ["the of and", "unique zyxwv"]  # a text of stop words only, a word no other text has


def _counts(rows: list[int], texts: list[str]) -> TermCounts:
    return TermCounts.of(rows, tokenize([texts[i] for i in rows]), [f"d{i // 4}" for i in rows])


def test_scores_are_those_of_bm25s_own_index() -> None:
    texts = _lines()
    ours = _counts(list(range(len(texts))), texts).bm25()
    reference = bm25s.BM25()
    reference.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False),
        show_progress=False,
    )
    for query in [*QUERIES, "zyxwv"]:
        tokens = tokenize([query])[0]
        np.testing.assert_array_equal(ours.get_scores(tokens), reference.get_scores(tokens))


def test_a_change_gives_the_index_of_the_changed_chunks_built_anew() -> None:
    texts = _lines()
    half = len(texts) // 2
    before = _counts(list(range(half + 40)), texts)
    removed = set(range(10, 30)) | {half + 5}
    changed = before.replaced(removed, _counts(list(range(half + 40, len(texts))), texts))
    rows = [i for i in range(len(texts)) if i not in removed]
    fresh = LexicalIndex.from_terms(_counts(rows, texts))
    updated = LexicalIndex.from_terms(changed)
    assert sorted(updated.ids) == rows
    assert sorted(changed.vocab) == sorted(fresh.terms.vocab if fresh.terms else [])
    for query in QUERIES:
        for weight in (0.0, 2.0):
            a, b = updated.search_arrays(query, 50, weight), fresh.search_arrays(query, 50, weight)
            assert a.ids.tolist() == b.ids.tolist()
            np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6)


def test_counts_survive_save_and_load(tmp_path: Path) -> None:
    texts = _lines()
    counts = _counts(list(range(0, len(texts), 3)), texts)
    counts.save(tmp_path / "terms")
    loaded = TermCounts.load(tmp_path / "terms")
    assert loaded is not None and loaded.vocab == counts.vocab
    assert loaded.doc_ids == counts.doc_ids
    for name in ("ids", "indptr", "terms", "counts"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(counts, name))
    assert TermCounts.load(tmp_path / "absent") is None
