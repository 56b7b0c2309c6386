"""With no ASKDOCS_LLM_URL nothing changes: the same answers, no client imported."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from pydantic import SecretStr, ValidationError

from askdocs.evals.questions import BUNDLED_QUESTIONS, load_questions
from askdocs.index.collection import Collection
from askdocs.service.answerer import Answerer
from askdocs.service.generation.generate import Delta, Done, Sources, answer, answer_events
from askdocs.settings import Settings


def never(settings: Settings, messages: list[dict[str, str]]) -> Iterator[str]:
    raise AssertionError("the model server was called")


def test_answers_are_the_extractive_answerers(
    sample_collection: Collection, sample_settings: Settings
) -> None:
    answerer = Answerer(sample_collection, sample_settings)
    assert not sample_settings.generation
    for question in load_questions(BUNDLED_QUESTIONS)[:25]:
        expected = answerer.answer(question.question, question.history)
        reply = answer(answerer, question.question, question.history, complete=never)
        assert (reply.answer, reply.abstained, reply.citations) == (
            expected.answer,
            expected.abstained,
            expected.citations,
        )
        assert (reply.mode, reply.dropped) == ("extractive", 0)
        events = list(answer_events(answerer, question.question, question.history))
        assert events == [
            Sources(expected.citations),
            Delta(expected.answer),
            Done(reply),
        ]
        assert [asdict(c) for c in reply.citations] == [asdict(c) for c in expected.citations]


def test_starting_the_service_imports_no_model_client() -> None:
    code = (
        "import sys, json\n"
        "from askdocs.service.app import create_app\n"
        "from askdocs.settings import Settings\n"
        "create_app(Settings())\n"
        "print(json.dumps([m for m in ('httpx', 'askdocs.service.generation.client')"
        " if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    "url", ["ftp://host/v1", "localhost:11434", "http:///v1", "http://h/v1?x=1"]
)
def test_the_model_url_must_be_http(url: str) -> None:
    with pytest.raises(ValidationError, match="llm_url"):
        Settings(llm_url=url)


def test_the_api_key_is_secret() -> None:
    settings = Settings(llm_url="https://api.example/v1", llm_api_key=SecretStr("sk-secret"))
    assert "sk-secret" not in repr(settings) and "sk-secret" not in str(settings.model_dump())
    assert settings.replace(top_k=3).llm_api_key == settings.llm_api_key
