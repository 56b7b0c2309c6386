"""Quality gate: the bundled question set through the real model, retriever and answerer, with
the shipped default settings, must stay at or above the floors recorded in evals/floors.json.

A floor is a measured value minus a small margin (see evals/README.md); raise it when quality
improves, never lower it to make a regression pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from askdocs.settings import Settings
from evals.questions import BUNDLED_QUESTIONS, load_questions
from evals.runner import run_questions

FLOORS_FILE = Path(__file__).resolve().parents[2] / "evals" / "floors.json"
GATED = ("hit@5", "abstention_recall", "citation_validity")


def test_floors_file_gates_the_promised_metrics() -> None:
    floors = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["floors"]
    assert set(GATED) <= set(floors)
    for name, value in floors.items():
        assert 0.0 < value <= 1.0, name


def test_bundled_set_stays_above_the_floors(sample_collection, sample_settings) -> None:
    # The gate is about the shipped defaults, not about what a test configured.
    defaults = Settings()
    for field in ("search_mode", "top_k", "chunk_tokens", "chunk_overlap", "abstain_threshold"):
        assert getattr(sample_settings, field) == getattr(defaults, field), field
    questions = load_questions(BUNDLED_QUESTIONS)
    result = run_questions(sample_collection, sample_settings, questions)
    assert result.counts["questions"] == len(questions) == 127
    assert result.counts["evidence_in_no_chunk"] == 0  # every gold span is findable
    print("\nbundled set:", json.dumps(result.metrics, indent=1))
    floors = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["floors"]
    below = {
        name: (result.metrics[name], floor)
        for name, floor in floors.items()
        if (result.metrics[name] or 0.0) < floor
    }
    assert not below, f"quality regression (measured, floor): {below}"
