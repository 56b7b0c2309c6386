"""`askdocs bench`: its phases on the sample corpus, the medians, and the table."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from askdocs.evals import bench_figures as figures
from askdocs.evals.bench import bench_command, bench_queries, table
from askdocs.evals.bench_phases import phase_http, phase_ingest, phase_queries, running_server
from askdocs.evals.percentiles import Percentiles
from askdocs.evals.questions import load_questions
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS


def test_queries_come_from_a_question_set_or_a_beir_folder(tmp_path: Path) -> None:
    bundled = [q.question for q in load_questions(SAMPLE_QUESTIONS)]
    assert bench_queries(SAMPLE_CORPUS, None, 5) == bundled[:5]
    beir = tmp_path / "beir"
    beir.mkdir()
    (beir / "corpus.jsonl").write_text('{"_id": "d1", "title": "T", "text": "Body."}\n')
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "What is it?"}\n')
    assert bench_queries(beir, None, 10) == ["What is it?"]
    assert bench_queries(beir, SAMPLE_QUESTIONS, 2) == bundled[:2]  # --questions wins


def _level(requests: int, errors: dict[str, int]) -> figures.BenchLevel:
    return figures.BenchLevel(2, requests, 1.0, 1.0, 10.0, 20.0, 30.0, errors, repeated=0)


def test_medians_are_taken_field_by_field() -> None:
    runs = [
        figures.IngestFigures(2, 39, 900, 3.0, {"embedding": 2.0}, 0.5, 0, 400.0, 10),
        figures.IngestFigures(2, 39, 900, 1.0, {"embedding": 1.0}, 0.1, 3, 500.0, 30),
        figures.IngestFigures(
            2, 39, 900, 2.0, {"embedding": 9.0, "writing": 1.0}, 0.3, 4, 600.0, 20
        ),
    ]
    median = figures.median_of(runs)
    assert median == figures.IngestFigures(
        2, 39, 900, 2.0, {"embedding": 2.0, "writing": 0.0}, 0.3, 3, 500.0, 20
    )
    # Counts stay counts that were observed: the lower median of an even number of runs.
    levels = figures.median_of([_level(3, {}), _level(6, {"503": 2})])
    assert levels.requests == 3 and levels.errors == {"503": 0}


def test_figures_survive_the_trip_through_json() -> None:
    http = figures.HttpFigures(
        1.5, Percentiles(1.0, 2.0, 3.0), Percentiles(4.0, 5.0, 6.0), [_level(4, {"500": 1})], 9.0
    )
    assert figures.from_json(figures.HttpFigures, json.loads(json.dumps(asdict(http)))) == http


def test_phases_on_the_sample_corpus(tmp_path: Path) -> None:
    index = tmp_path / "index"
    ingest = phase_ingest(SAMPLE_CORPUS, index, None)
    assert (ingest.documents, ingest.chunks) == (2, 39)
    assert ingest.tokens > ingest.chunks * 50
    assert set(ingest.stages) == {"loading", "chunking", "embedding", "writing"}
    assert ingest.second_embedded == 0  # the unchanged corpus is not embedded again
    assert ingest.index_bytes > 0 and ingest.peak_rss_mb > 0

    questions = bench_queries(SAMPLE_CORPUS, SAMPLE_QUESTIONS, 4)
    queries = phase_queries(index, questions)
    # Every question was searched and answered: four timings each, none of them zero.
    assert min(queries.search.p50, queries.ask.p50) > 0

    http = phase_http(index, questions, clients=[2], seconds=5.0, max_requests=0)
    # Four questions, one each for search, ask and the one level: none asked twice.
    (level,) = http.levels
    assert (level.clients, level.requests, level.repeated, level.errors) == (2, 1, 0, {})

    baseline = figures.BaselineFigures(39, 1.0, 500.0)
    result = figures.BenchResult(
        figures.Machine.this(), str(SAMPLE_CORPUS), 1, ingest, baseline, queries, http
    )
    text = table(result)
    for label in ("chunks/s", "askdocs/baseline", "unchanged re-ingest", "2 clients", "cold start"):
        assert label in text
    assert set(result.to_json()) == {
        "machine", "corpus", "runs", "ingest", "baseline", "queries", "http",
    }  # fmt: skip


def test_the_server_answers_until_it_is_stopped(tmp_path: Path) -> None:
    index = tmp_path / "index"
    phase_ingest(SAMPLE_CORPUS, index, 1)
    with running_server(index) as (url, process, _):
        reply = httpx.post(f"{url}/api/search", json={"query": "Spotlight Initiative"})
        assert reply.status_code == 200 and reply.json()["results"]
    assert process.poll() is not None
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{url}/api/search", json={"query": "Spotlight Initiative"}, timeout=5)


def test_without_http_the_json_keeps_an_empty_http_object() -> None:
    ingest = figures.IngestFigures(2, 39, 900, 2.0, {}, 0.3, 0, 500.0, 20)
    queries = figures.QueryFigures(Percentiles(1.0, 2.0, 3.0), Percentiles(4.0, 5.0, 6.0))
    result = figures.BenchResult(
        figures.Machine.this(), "c", 1, ingest, figures.BaselineFigures(39, 1.0, 1.0), queries
    )
    assert result.to_json()["http"] == {}
    assert "cold start" not in table(result)


def test_bench_help_and_a_missing_corpus(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(bench_command)
    runner = CliRunner()
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "(default: the bundled sample corpus)" in shown and "shared" not in shown
    result = runner.invoke(app, [str(tmp_path / "nowhere")], env={"COLUMNS": "400"})
    assert result.exit_code == 2 and "is not a folder" in result.output
