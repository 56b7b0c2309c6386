"""Searches after incremental writes equal those of an index built from scratch of the same
documents: dense, lexical and hybrid ranks and scores, on the real model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import LEXICAL, current_version
from askdocs.index.lexical_terms import TERMS_DIR
from askdocs.index.writer import ingest_paths
from askdocs.settings import SearchMode, Settings
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS

EXTRA = {
    "refunds.txt": "Refunds are paid within 14 days of the return arriving at our warehouse. "
    "Gender parity in refunds staff is a goal of the programme.",
    "missions.md": "# Missions\n\nPeacekeeping missions protect civilians. Women peacekeepers "
    "lead patrols in Mali, and the Spotlight Initiative funds shelters.",
    "budget.txt": "The initiative committed 500 million USD at the outset. " * 6,
}

# (chunk's document, start, end) and score of each hit, best first.
Hits = list[tuple[tuple[str, int, int], float]]


def _questions() -> list[str]:
    lines = SAMPLE_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:12]]


def _search(index: Path, embedder: Embedder, query: str, mode: SearchMode) -> Hits:
    collection = Collection.open(index, embedder)
    try:
        return [
            ((h.stored.chunk.doc_id, h.stored.chunk.start, h.stored.chunk.end), h.score)
            for h in collection.search(query, k=8, mode=mode)
        ]
    finally:
        collection.close()


def _same(got: Hits, want: Hits) -> None:
    """Equal scores rank by rank; the same chunks, except in the order of exact ties (those
    fall back to chunk ids, which differ between the two indexes)."""
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5, abs=1e-6)
    for score in {round(s, 5) for _, s in want[:-1]}:  # the last place's ties may differ
        assert {c for c, s in got if round(s, 5) == score} == {
            c for c, s in want if round(s, 5) == score
        }


def test_an_incremental_index_searches_like_one_built_from_scratch(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_CORPUS, docs)
    (docs / "refunds.txt").write_text(EXTRA["refunds.txt"], encoding="utf-8")
    index = tmp_path / "incremental"
    settings = Settings(index=index)
    caplog.set_level(logging.WARNING, logger="askdocs.index")
    ingest_paths(index, [docs], embedder, settings)
    # Add two documents, change one, remove one: each ingest updates the previous version.
    (docs / "missions.md").write_text(EXTRA["missions.md"], encoding="utf-8")
    ingest_paths(index, [docs], embedder, settings)
    (docs / "budget.txt").write_text(EXTRA["budget.txt"], encoding="utf-8")
    (docs / "refunds.txt").write_text("Refunds now take 30 days.", encoding="utf-8")
    ingest_paths(index, [docs], embedder, settings)
    next(docs.glob("DPKO*")).unlink()
    report = ingest_paths(index, [docs], embedder, settings, prune=True)
    assert len(report.removed) == 1 and report.chunks_embedded == 0
    assert not [r for r in caplog.records if "rebuilding" in r.getMessage()]  # all updates
    live = current_version(index)
    assert live is not None and (live / LEXICAL / TERMS_DIR / "vocab.json").is_file()

    scratch = tmp_path / "scratch"
    ingest_paths(scratch, [docs], embedder, Settings(index=scratch))
    for query in _questions():
        for mode in ("dense", "lexical", "hybrid"):
            _same(_search(index, embedder, query, mode), _search(scratch, embedder, query, mode))
