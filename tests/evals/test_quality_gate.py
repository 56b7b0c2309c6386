"""Quality gate: each collection's test split through the real model, retriever and answerer,
with the shipped defaults, must stay within the bounds of evals/floors.json; and the gate must
be able to fail: abstaining on everything, or quoting the top chunk's first sentence, fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from askdocs.evals.gate import GATED, bounds, violations
from askdocs.evals.indexing import eval_collection, folder_documents
from askdocs.evals.questions import load_questions, of_split
from askdocs.evals.runner import RunResult, run_questions
from askdocs.evals.sets import question_set
from askdocs.evals.squad import SOURCE, build
from askdocs.index.backend import Backend
from askdocs.service.answerer import Answerer
from askdocs.service.answerer.selector import first_sentence_of_top_chunk
from askdocs.settings import Settings


@pytest.fixture(scope="module")
def test_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name → (documents, questions); SQuAD written to a temp dir from ../shared."""
    sets = {n: (question_set(n).docs, question_set(n).questions) for n in ("sample", "product")}
    assert SOURCE.is_file(), f"the SQuAD sample is expected at {SOURCE}"
    sets["squad"] = build(SOURCE, tmp_path_factory.mktemp("squad"))
    return sets


@pytest.fixture(scope="module")
def collections(
    test_sets, embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Backend]]:
    settings = Settings()
    opened: dict[str, Backend] = {}
    with ExitStack() as stack:
        for name, (docs, _) in test_sets.items():
            index = tmp_path_factory.mktemp(name) / "i"
            manager = eval_collection(folder_documents(docs), settings, embedder, index)
            opened[name] = stack.enter_context(manager)
        yield opened


def _run(collection: Backend, questions: Path, settings: Settings, **kw) -> RunResult:
    test = of_split(load_questions(questions), "test")
    return run_questions(collection, settings, test, **kw)


def test_floors_file_bounds_every_gated_metric_of_every_set() -> None:
    limits = bounds()
    assert set(limits) == {"sample", "product", "squad"}
    for name, metrics in limits.items():
        # SQuAD has no unanswerable questions: its abstention recall is undefined.
        expected = set(GATED) - ({"abstention_recall"} if name == "squad" else set())
        assert expected <= set(metrics), name


@pytest.mark.parametrize("name", ["sample", "product", "squad"])
def test_test_split_stays_within_the_bounds(name, collections, test_sets) -> None:
    result = _run(collections[name], test_sets[name][1], Settings())
    assert result.counts["evidence_in_no_chunk"] == 0  # every gold span is findable
    print(f"\n{name} test split:", json.dumps(result.metrics, indent=1))
    failed = violations(result.metrics, bounds()[name])
    assert not failed, f"quality regression (measured, bound): {failed}"


def test_the_gate_fails_when_everything_is_abstained_on(collections, test_sets) -> None:
    settings = Settings(abstain_threshold=2.0)
    result = _run(collections["product"], test_sets["product"][1], settings)
    failed = violations(result.metrics, bounds()["product"])
    assert {"answer_evidence", "false_abstention"} <= set(failed)


def test_the_gate_fails_with_a_first_sentence_selector(collections, test_sets) -> None:
    settings = Settings()
    naive = Answerer(collections["product"], settings, selector=first_sentence_of_top_chunk)
    result = _run(collections["product"], test_sets["product"][1], settings, answerer=naive)
    assert violations(result.metrics, bounds()["product"])
