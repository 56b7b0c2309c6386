"""Answering a question as a sequence of events: the sources, the text, the final answer.

The one code path of the CLI, `POST /api/ask`, `POST /api/ask/stream` and the evals:

- the extractive answerer runs first. Generation off (no ASKDOCS_LLM_URL), or the answerer
  abstains (the collection does not support an answer; the model is not asked): `Sources`
  (its citations), one `Delta` (its whole text), `Done`;
- generation on: `Sources` (choose_sources), then one `Delta` per sentence of the model's
  answer that passes the check (check.py), as soon as it is complete; sentences that fail are
  dropped and counted. When none passes, or the model server fails, times out or sends
  garbage before one has passed, the answer is the extractive one (`mode: "extractive"`,
  with `dropped`), sent as one `Delta`. A failure after some sentences passed keeps them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Literal

from askdocs.errors import GenerationError
from askdocs.service.answerer.pipeline import Answer, Answerer, Citation
from askdocs.service.conversation import Turn
from askdocs.service.generation.check import check_sentence, is_decline, normalise
from askdocs.service.generation.prompt import build_messages
from askdocs.service.generation.sentences import SentenceSplitter
from askdocs.service.generation.sources import choose_sources
from askdocs.settings import Settings

log = logging.getLogger("askdocs.generation")

Mode = Literal["extractive", "generated"]
# (settings, messages) -> the model's answer in pieces; client.stream_completion by default.
Completer = Callable[[Settings, list[dict[str, str]]], Iterator[str]]


@dataclass(frozen=True)
class Reply:
    """The final answer: what `POST /api/ask` returns."""

    answer: str
    abstained: bool
    mode: Mode
    dropped: int
    citations: list[Citation]


@dataclass(frozen=True)
class Sources:
    """The numbered sources (first event)."""

    citations: list[Citation]


@dataclass(frozen=True)
class Delta:
    """Text to append to the answer shown so far."""

    text: str


@dataclass(frozen=True)
class Done:
    """The final answer (last event)."""

    reply: Reply


Event = Sources | Delta | Done


def _stream_completion(settings: Settings, messages: list[dict[str, str]]) -> Iterator[str]:
    # Imported on first use: with generation off neither this client nor httpx is loaded.
    from askdocs.service.generation.client import stream_completion

    return stream_completion(settings, messages)


def answer_events(
    answerer: Answerer,
    question: str,
    history: list[Turn] | None = None,
    top_k: int | None = None,
    complete: Completer = _stream_completion,
) -> Generator[Event, None, None]:
    """The events answering `question` (see the module docstring)."""
    history = history or []
    extractive = answerer.answer(question, history, top_k)
    settings = answerer.settings
    if not settings.generation or extractive.abstained:
        yield from _extractive(extractive, 0, announce=True)
        return
    sources = choose_sources(extractive)
    yield Sources(sources)
    texts = {c.n: c.excerpt for c in sources}
    kept: list[str] = []
    cited: set[int] = set()
    said: set[str] = set()
    dropped = 0

    def judge(sentences: list[str]) -> Iterator[Delta]:
        nonlocal dropped
        for sentence in sentences:
            key = normalise(sentence)
            if is_decline(sentence) or key in said:
                continue  # "the sources don't answer", or a repeat (small models loop)
            verdict = check_sentence(sentence, texts)
            if not verdict.ok:
                dropped += 1
                log.info("generated sentence dropped (%s): %s", verdict.reason, sentence)
                continue
            yield Delta(sentence if not kept else f" {sentence}")
            kept.append(sentence)
            said.add(key)
            cited.update(verdict.cited)

    splitter = SentenceSplitter()
    messages = build_messages(question, history, sources)
    try:
        for piece in complete(settings, messages):
            yield from judge(splitter.feed(piece))
        yield from judge(splitter.flush())
    except GenerationError as exc:
        fallback = "keeping what passed" if kept else "answering extractively"
        log.warning("generation failed, %s: %s", fallback, exc)
    if not kept:
        yield from _extractive(extractive, dropped, announce=False)
        return
    citations = [c for c in sources if c.n in cited]
    yield Done(Reply(" ".join(kept), False, "generated", dropped, citations))


def _extractive(answer: Answer, dropped: int, announce: bool) -> Iterator[Event]:
    if announce:
        yield Sources(answer.citations)
    yield Delta(answer.answer)
    yield Done(Reply(answer.answer, answer.abstained, "extractive", dropped, answer.citations))


def answer(
    answerer: Answerer,
    question: str,
    history: list[Turn] | None = None,
    top_k: int | None = None,
    complete: Completer = _stream_completion,
) -> Reply:
    """The final answer to `question` (the last event of `answer_events`)."""
    for event in answer_events(answerer, question, history, top_k, complete):
        if isinstance(event, Done):
            return event.reply
    raise AssertionError("answer_events ended without Done")  # pragma: no cover
