"""`askdocs bench`: its phases on the sample corpus, the medians, and the table."""

from __future__ import annotations

from pathlib import Path

from askdocs.evals.bench import (
    BenchResult,
    bench_queries,
    machine,
    median_of,
    phase_http,
    phase_ingest,
    phase_queries,
    table,
)
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS


def test_queries_come_from_a_question_set_or_a_beir_folder(tmp_path: Path) -> None:
    assert len(bench_queries(SAMPLE_CORPUS, None, 5)) == 5
    beir = tmp_path / "beir"
    beir.mkdir()
    (beir / "corpus.jsonl").write_text('{"_id": "d1", "title": "T", "text": "Body."}\n')
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "What is it?"}\n')
    assert bench_queries(beir, None, 10) == ["What is it?"]


def test_median_of_runs_is_taken_field_by_field() -> None:
    runs = [
        {"seconds": 3.0, "stages": {"embedding": 2.0}, "name": "a"},
        {"seconds": 1.0, "stages": {"embedding": 1.0}, "name": "a"},
        {"seconds": 2.0, "stages": {"embedding": 9.0}, "name": "a"},
    ]
    assert median_of(runs) == {"seconds": 2.0, "stages": {"embedding": 2.0}, "name": "a"}


def test_phases_on_the_sample_corpus(tmp_path: Path) -> None:
    index = tmp_path / "index"
    ingest = phase_ingest(SAMPLE_CORPUS, index, None)
    assert (ingest["documents"], ingest["chunks"]) == (2, 39)
    assert ingest["tokens"] > ingest["chunks"] * 50
    assert set(ingest["stages"]) == {"loading", "chunking", "embedding", "writing"}
    assert ingest["second_embedded"] == 0  # the unchanged corpus is not embedded again
    assert ingest["index_bytes"] > 0 and ingest["peak_rss_mb"] > 0

    questions = bench_queries(SAMPLE_CORPUS, SAMPLE_QUESTIONS, 4)
    queries = phase_queries(index, questions)
    assert queries["search"]["p50"] <= queries["search"]["p99"]

    http = phase_http(index, questions, clients=[2], seconds=5.0, max_requests=0)
    assert http["cold_start_s"] > 0
    (level,) = http["levels"]
    assert level["clients"] == 2 and level["requests"] == 1 and level["repeated"] == 0
    assert level["errors"] == {}

    baseline = {"chunks": 39, "seconds": 1.0, "peak_rss_mb": 500.0}
    result = BenchResult(machine(), str(SAMPLE_CORPUS), 1, ingest, baseline, queries, http)
    text = table(result)
    for label in ("chunks/s", "askdocs/baseline", "unchanged re-ingest", "2 clients", "cold start"):
        assert label in text
