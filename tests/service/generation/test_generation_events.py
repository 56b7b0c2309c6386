"""The event sequence over the real answerer, with the model's reply given in pieces (the
HTTP client is tested against the scripted server elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator

from askdocs.errors import GenerationError
from askdocs.index.collection import Collection
from askdocs.service.answerer import Answerer
from askdocs.service.generation.generate import Delta, Done, Sources, answer_events
from askdocs.settings import Settings

QUESTION = "How many programmes did Spotlight run in its first phase?"


def events(collection: Collection, settings: Settings, reply: list[str], fail: bool = False):
    answerer = Answerer(collection, settings.replace(llm_url="http://127.0.0.1:9/v1"))

    def complete(_settings: Settings, messages: list[dict[str, str]]) -> Iterator[str]:
        yield from reply
        if fail:
            raise GenerationError("the model server did not answer within 1 s")

    return list(answer_events(answerer, QUESTION, complete=complete))


def test_repeats_are_shown_once(sample_collection: Collection, sample_settings: Settings) -> None:
    sentence = "Spotlight Initiative helped cohere the UN system to implement 34 programmes [1]."
    out = events(sample_collection, sample_settings, [f"{sentence} "] * 3 + ["Extra [1]."])
    assert isinstance(out[0], Sources)
    assert out[1:-1] == [Delta(sentence)]  # "Extra" fails the check
    done = out[-1]
    assert isinstance(done, Done)
    assert (done.reply.answer, done.reply.mode, done.reply.dropped) == (sentence, "generated", 1)
    assert [c.n for c in done.reply.citations] == [1]


def test_a_failure_keeps_what_passed(
    sample_collection: Collection, sample_settings: Settings
) -> None:
    first = "Spotlight Initiative helped cohere the UN system to implement 34 programmes [1]."
    out = events(sample_collection, sample_settings, [f"{first} It ran 5"], fail=True)
    assert out[-1] == Done(out[-1].reply) and out[-1].reply.answer == first
