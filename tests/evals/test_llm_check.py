"""evals/llm_check.py against the scripted model server, and its independent audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from askdocs.evals.llm_audit import audit_sentence
from askdocs.evals.llm_check import format_report, run
from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS, load_questions
from askdocs.settings import Settings
from tests.service.generation.scripted_llm import ScriptedLLM, first_sentence, streamed


@pytest.fixture(scope="module")
def scripted_llm() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM()
    yield server
    server.shutdown()


SOURCES = {1: "Launched in 2017, the Initiative had an initial budget of 500 million USD."}


def test_the_audit() -> None:
    assert audit_sentence("The Initiative was launched in 2017 [1].", SOURCES).problems == []
    problems = audit_sentence("The Initiative was launched in 2019 in Paris [1].", SOURCES).problems
    assert "number 2019 not in the cited sources" in problems
    assert "name 'Paris' not in the cited sources" in problems
    assert "unknown source [2]" in audit_sentence("It had a budget [2].", SOURCES).problems
    assert "no marker" in audit_sentence("It had a budget.", SOURCES).problems
    # Stricter than the service's check, which takes a first word by its stem.
    assert audit_sentence("Budgets were 500 million USD [1].", SOURCES).problems == [
        "name 'Budgets' not in the cited sources"
    ]


def test_llm_check_runs_the_questions_through_the_stream(scripted_llm: ScriptedLLM) -> None:
    def script(request: dict[str, Any]) -> Any:
        return streamed(f"{first_sentence(request)} [1]. It had 98765 staff [1].")

    scripted_llm.script = script
    questions = load_questions(BUNDLED_QUESTIONS)[:3]
    settings = Settings(llm_url=scripted_llm.url, llm_timeout_s=5)
    report = run(settings, questions, BUNDLED_CORPUS, say=lambda _message: None)
    assert report.questions == 3 and report.errors == 0
    asked = report.generated + report.fell_back
    assert asked + report.abstained == 3 and report.generated >= 1
    assert report.sentences_kept == report.generated  # one kept per generated answer
    assert report.sentences_dropped == asked  # the invented number, every time
    assert report.unsupported == []
    assert report.latency_ms["done"].p50 >= report.latency_ms["first_event"].p50
    assert report.extractive_first_event_ms is not None
    text = format_report(report, "scripted")
    assert "unsupported sentences shown: 0" in text and "sentences kept:" in text
