"""The eval runner on the real sample index: metrics, relevance, citations, CLI output."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from askdocs.evals.cli import EvalOptions, eval_command, run_eval
from askdocs.evals.compare import changes, parse_compare
from askdocs.evals.questions import BUNDLED_QUESTIONS, Question, load_questions
from askdocs.evals.runner import METRICS, RETRIEVAL_METRICS, Judge, RunResult, run_questions
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.settings import Settings


def subset() -> list[Question]:
    """Every sixth bundled question plus every follow-up: answerable, unanswerable and
    conversational ones (the quality gate runs the whole set)."""
    questions = load_questions(BUNDLED_QUESTIONS)
    return [q for i, q in enumerate(questions) if i % 6 == 0 or q.history]


@pytest.fixture(scope="module")
def run(sample_collection: Collection, sample_settings: Settings) -> RunResult:
    return run_questions(sample_collection, sample_settings, subset())


def test_every_metric_is_computed_over_the_right_questions(run: RunResult) -> None:
    questions = subset()
    unanswerable = sum(not q.answerable for q in questions)
    assert unanswerable >= 3 and sum(bool(q.history) for q in questions) >= 10
    assert set(run.metrics) == set(METRICS)
    assert run.counts["questions"] == len(questions)
    assert run.counts["answerable"] == len(questions) - unanswerable
    assert run.counts["unanswerable"] == unanswerable
    # Every gold span lies inside some chunk, so no answerable question is unjudgeable.
    assert run.counts["evidence_in_no_chunk"] == 0
    assert None not in run.metrics.values()
    # The answerer never repeats a citation or quotes a heading.
    assert run.metrics["duplicate_citations"] == run.metrics["heading_citations"] == 0
    # The means are those of the per-question records.
    answerable = [q for q in run.questions if q.answerable]
    for k in (1, 3, 5, 10):
        found = [q.first_relevant is not None and q.first_relevant <= k for q in answerable]
        assert run.metrics[f"hit@{k}"] == pytest.approx(sum(found) / len(answerable))
    abstained = [q.abstained for q in answerable]
    assert run.metrics["false_abstention"] == pytest.approx(sum(abstained) / len(answerable))
    # Percentiles are nearest rank: each is a value that was measured.
    assert run.metrics["search_p95_ms"] in {q.search_ms for q in run.questions}
    assert run.metrics["answer_p50_ms"] in {q.answer_ms for q in run.questions}
    assert run.metrics["answer_words_p50"] in {q.answer_words for q in run.questions}
    assert run.metrics["citation_validity"] == 1.0
    assert run.counts["citations"] > 0 and run.counts["invalid_citations"] == 0


def test_per_question_records_agree_with_the_metrics(run: RunResult) -> None:
    for q in run.questions:
        assert len(q.retrieved) == 10
        if not q.answerable:
            assert q.retrieval == {} and q.answer_evidence is None
            continue
        assert set(q.retrieval) == set(RETRIEVAL_METRICS)
        assert q.relevant_chunks >= 1
        first = next((i for i, r in enumerate(q.retrieved, 1) if r.relevant), None)
        assert q.first_relevant == first
        assert q.retrieval["hit@10"] == (1.0 if first else 0.0)
        assert q.retrieval["mrr@10"] == pytest.approx(1 / first if first else 0.0)
        if q.abstained:
            assert not q.answer_evidence and q.citations == 0
    # A follow-up is retrieved with the conversation, as the service does.
    follow_up = next(q for q in run.questions if q.id == "q121")
    assert follow_up.query.startswith("How many programmes did Spotlight run")


def test_relevance_is_evidence_containment_after_normalising(sample_collection) -> None:
    judge = Judge(sample_collection)
    # Typographic apostrophe in the document, straight one and other spacing in the gold.
    relevant = judge.relevant(["the United Nations  Secretary-General's High Impact Initiative"])
    assert relevant
    for stored in sample_collection.store.chunks(relevant).values():
        assert "Secretary-General’s High Impact Initiative" in stored.chunk.text
    assert judge.relevant(["words that appear nowhere in the corpus"]) == set()


def test_compare_lists_questions_that_changed(sample_collection, sample_settings) -> None:
    questions = load_questions(BUNDLED_QUESTIONS)[:8]
    _, variants = parse_compare("mode=dense,lexical", sample_settings)
    dense, lexical = (
        run_questions(sample_collection, v.settings, questions, v.label) for v in variants
    )
    found = changes(dense, lexical)
    ids = {q.id for q in questions}
    for change in found:
        assert change.id in ids and change.before != change.after
        if change.aspect == "retrieval":
            before = next(q for q in dense.questions if q.id == change.id).first_relevant
            after = next(q for q in lexical.questions if q.id == change.id).first_relevant
            assert change.better == ((after or 99) < (before or 99))
    assert changes(dense, dense) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("colour=red,blue", "FIELD one of"),
        ("mode=dense", "at least two distinct values"),
        ("mode=dense,fuzzy", "mode=fuzzy"),
        ("chunk_tokens=64,abc", "chunk_tokens=abc"),
        ("chunk_tokens=128,16", "chunk_overlap must be smaller"),
    ],
)
def test_bad_compare_specs_are_named(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_compare(spec, Settings())


# --- question sets ----------------------------------------------------------------------------


def test_bundled_set_loads_with_history() -> None:
    questions = load_questions(BUNDLED_QUESTIONS)
    assert len(questions) == 127
    q111 = next(q for q in questions if q.id == "q111")
    assert isinstance(q111, Question) and q111.answerable and len(q111.answers) == 2
    assert [t.role for t in q111.history] == ["user", "assistant"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "q2", "question": ', "invalid JSON"),
        ('["q2"]', "expected a JSON object"),
        ('{"question": "Why?", "answers": [], "answerable": false}', "field 'id'"),
        ('{"id": "q2", "question": "", "answers": [], "answerable": false}', "field 'question'"),
        ('{"id": "q2", "question": "Why?", "answers": []}', "field 'answerable'"),
        ('{"id": "q2", "question": "Why?", "answers": [" "], "answerable": true}', "evidence"),
        ('{"id": "q2", "question": "Why?", "answers": ["x"], "answerable": false}', "no 'answers'"),
        ('{"id": "q2", "question": "Why?", "answers": "x", "answerable": true}', "'answers'"),
        ('{"id": "q1", "question": "Why?", "answers": [], "answerable": false}', "duplicate id"),
        ('{"id": "q2", "question": "Why?", "answers": [], "answerable": false, "x": 1}', "'x'"),
        (
            '{"id": "q2", "question": "Why?", "answers": [], "answerable": false, '
            '"history": [{"role": "system", "content": "hi"}]}',
            r"history.: turn 0",
        ),
    ],
)
def test_bad_question_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    first = '{"id": "q1", "question": "Why?", "answers": ["because"], "answerable": true}'
    path.write_text(f"{first}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_questions(path)
    assert f"{path}:3:" in str(info.value)


def test_missing_or_empty_question_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="question set not found"):
        load_questions(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")


# --- the command ------------------------------------------------------------------------------

PICKED = ("q1", "q5", "q6", "q69", "q121")


@pytest.fixture
def options(
    tmp_path: Path, sample_settings: Settings, sample_corpus: Path, sample_collection: Collection
) -> EvalOptions:
    """A few bundled questions over a copy of the session index (same files, so nothing is
    embedded again)."""
    index = tmp_path / "index"
    shutil.copytree(sample_settings.index, index)
    subset = tmp_path / "subset.jsonl"
    lines = BUNDLED_QUESTIONS.read_text(encoding="utf-8").splitlines()
    picked = [ln for ln in lines if json.loads(ln)["id"] in PICKED]
    subset.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return EvalOptions(questions=subset, docs=sample_corpus, index=index, split="all")


def test_eval_runs_one_split_of_a_set_that_has_splits(
    options: EvalOptions, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    run_eval(replace(options, split="test", as_json=True), lambda _settings: embedder)
    run = json.loads(capsys.readouterr().out)["runs"][0]
    splits = [q.split for q in load_questions(BUNDLED_QUESTIONS) if q.id in PICKED]
    assert run["counts"]["questions"] == splits.count("test") < len(PICKED)


def test_eval_json_output(
    options: EvalOptions, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    run_eval(replace(options, as_json=True), lambda _settings: embedder)
    payload = json.loads(capsys.readouterr().out)
    [run] = payload["runs"]
    assert run["label"] == "hybrid" and run["counts"]["questions"] == 5
    assert set(run["metrics"]) == set(METRICS)
    assert run["metrics"]["citation_validity"] == 1.0
    assert payload["changes"] == {}


def test_eval_compare_table_and_report(
    options: EvalOptions,
    embedder: Embedder,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    compared = replace(options, compare="mode=dense,lexical,hybrid", out=out)
    run_eval(compared, lambda _settings: embedder)
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "dense", "lexical", "hybrid"]
    assert "dense → lexical:" in printed and "dense → hybrid:" in printed
    assert "eval runtime" in printed
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | dense | lexical | hybrid |" in report
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = (out / "questions-lexical.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(r)["id"] for r in records] == list(PICKED)
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [r["label"] for r in saved["runs"]] == ["dense", "lexical", "hybrid"]


def _no_model(_settings: Settings) -> Embedder:
    raise AssertionError("a bad input must be refused before any model is loaded")


def test_eval_bad_input_is_one_line_and_status_1(
    options: EvalOptions, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1"}\n', encoding="utf-8")
    with pytest.raises(typer.Exit) as exited:
        run_eval(EvalOptions(questions=bad), _no_model)
    assert exited.value.exit_code == 1 and f"{bad}:1:" in capsys.readouterr().err
    with pytest.raises(typer.Exit):
        run_eval(replace(options, compare="mode=dense,fuzzy"), _no_model)
    assert "mode=fuzzy" in capsys.readouterr().err
    with pytest.raises(typer.BadParameter, match="--beir"):
        run_eval(replace(options, run_out=tmp_path / "x.run"), _no_model)


def test_the_command_passes_its_options_on(tmp_path: Path) -> None:
    """Through typer: options reach run_eval under their names (a bad file fails before any
    model is loaded, so the real loader is never called)."""
    app = typer.Typer()
    app.command()(eval_command)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--questions", str(bad), "--split", "all"])
    assert result.exit_code == 1 and f"{bad}:1:" in result.output
    result = CliRunner().invoke(app, ["--set", "sample", "--docs", str(tmp_path)])
    assert result.exit_code == 2 and "--set replaces" in result.output
