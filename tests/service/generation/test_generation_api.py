"""askdocs over HTTP against the scripted model server: POST /api/ask and /api/ask/stream give
the checked answer, or the extractive one, with exact citations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from askdocs.index.collection import Collection
from askdocs.service.generation.check import DECLINE
from askdocs.settings import Settings
from tests.service.conftest import LiveServer
from tests.service.generation.conftest import LLM_TIMEOUT_S
from tests.service.generation.helpers import ask, assert_offsets, done_of, stream
from tests.service.generation.scripted_llm import (
    Scripted,
    ScriptedLLM,
    first_sentence,
    sse_chunks,
    streamed,
)

QUESTION = "How much money did the EU commit to Spotlight at the outset?"
UNANSWERABLE = "What is the boiling point of mercury?"


def supported(request: dict[str, Any]) -> str:
    return f"{first_sentence(request, 1)} [1]. {first_sentence(request, 2)} [2]."


def completion(text: str) -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"content": text}}]}).encode()


# name: (script, mode, dropped, the answer expected from the request, None: the extractive one)
CASES: dict[str, tuple[Callable[[dict[str, Any]], Scripted], str, int, Any]] = {
    "supported": (lambda r: streamed(supported(r)), "generated", 0, supported),
    "split mid-event": (lambda r: streamed(supported(r), cut=5), "generated", 0, supported),
    "one json reply": (
        lambda r: Scripted([completion(supported(r))], content_type="application/json"),
        "generated",
        0,
        supported,
    ),
    "invented number": (
        lambda r: streamed(
            f"{first_sentence(r, 1)} [1]. {first_sentence(r, 2)}, with 98765 partners [2]."
        ),
        "generated",
        1,
        lambda r: f"{first_sentence(r, 1)} [1].",
    ),
    # What passed before the server failed stands; the unfinished sentence is not shown.
    "fails midway": (
        lambda r: Scripted(
            [
                *sse_chunks(f"{first_sentence(r, 1)} [1]. {first_sentence(r, 2)} [2]")[:-2],
                b"data: {not json\n\n",
            ]
        ),
        "generated",
        0,
        lambda r: f"{first_sentence(r, 1)} [1].",
    ),
    "wrong marker": (lambda r: streamed(f"{first_sentence(r)} [42]."), "extractive", 1, None),
    "no markers": (lambda r: streamed(f"{first_sentence(r)}."), "extractive", 1, None),
    "declines": (lambda r: streamed(DECLINE), "extractive", 0, None),
    "server error": (lambda r: Scripted([b'{"error": "boom"}'], status=500), "extractive", 0, None),
    "garbage": (lambda r: Scripted([b"data: this is not json\n\n"]), "extractive", 0, None),
    "timeout": (
        lambda r: Scripted(
            [completion("Too late [1].")],
            content_type="application/json",
            delay_s=3 * LLM_TIMEOUT_S,
        ),
        "extractive",
        0,
        None,
    ),
}


@pytest.fixture(scope="module")
def extractive(live_server: LiveServer) -> dict[str, Any]:
    """The answer with generation off (the same index, no model server)."""
    return ask(live_server, QUESTION)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("route", ["ask", "stream"])
def test_scripted_replies(
    case: str,
    route: str,
    llm: ScriptedLLM,
    generating_server: LiveServer,
    extractive: dict[str, Any],
) -> None:
    script, mode, dropped, expected = CASES[case]
    llm.script = script
    if route == "ask":
        answer = ask(generating_server, QUESTION)
    else:
        events = stream(generating_server, QUESTION)
        answer = done_of(events)
        sources = events[0][1]["citations"]
        assert [c["n"] for c in sources] == list(range(1, len(sources) + 1))
        assert_offsets(generating_server, sources)
    assert len(llm.requests) == 1
    request = llm.requests[0]
    assert answer["mode"] == mode
    assert answer["dropped"] == dropped
    assert answer["abstained"] is False
    if expected is None:
        assert answer == {**extractive, "dropped": dropped}
    else:
        assert answer["answer"] == expected(request)
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
        assert {c["n"] for c in answer["citations"]} == cited
    assert answer["citations"]
    assert_offsets(generating_server, answer["citations"])


def test_the_model_request(llm: ScriptedLLM, generating_server: LiveServer) -> None:
    llm.script = lambda r: streamed(supported(r))
    history = [{"role": "user", "content": "Tell me about Spotlight."}]
    ask(generating_server, QUESTION, history=history)
    request = llm.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer test-key"
    assert request["model"] == "scripted" and request["stream"] is True
    roles = [m["role"] for m in request["messages"]]
    assert roles == ["system", "user", "user"]
    assert request["messages"][1]["content"] == "Tell me about Spotlight."
    assert QUESTION in request["messages"][-1]["content"]


def test_an_abstention_never_asks_the_model(
    llm: ScriptedLLM, generating_server: LiveServer
) -> None:
    llm.script = lambda r: streamed("Mercury boils at 357 degrees [1].")
    answer = ask(generating_server, UNANSWERABLE)
    events = stream(generating_server, UNANSWERABLE)
    assert answer["abstained"] and answer["mode"] == "extractive" and answer["citations"] == []
    assert done_of(events) == answer
    assert [name for name, _ in events] == ["citations", "delta", "done"]
    assert llm.requests == []


def test_the_stream_in_extractive_mode_is_the_ask_answer(live_server: LiveServer) -> None:
    for question in (QUESTION, UNANSWERABLE):
        events = stream(live_server, question)
        answer = ask(live_server, question)
        assert [name for name, _ in events] == ["citations", "delta", "done"]
        assert events[0][1]["citations"] == answer["citations"]
        assert events[1][1] == {"text": answer["answer"]}
        assert done_of(events) == answer
        assert answer["mode"] == "extractive" and answer["dropped"] == 0


def test_a_stream_may_outlast_the_body_timeout(
    llm: ScriptedLLM,
    serve: Callable[[Settings], LiveServer],
    sample_collection: Collection,
) -> None:
    # The body limit's timeout is for reading the request; a long answer is not cut by it.
    server = serve(
        Settings(
            index=sample_collection.root,
            llm_url=llm.url,
            llm_timeout_s=LLM_TIMEOUT_S,
            body_timeout_s=0.2,
        )
    )
    llm.script = lambda r: Scripted(sse_chunks(supported(r), piece=40), pause_s=0.15)
    done = done_of(stream(server, QUESTION))
    assert done["mode"] == "generated"
    assert done["answer"] == supported(llm.requests[0])


def test_the_stream_passes_cors_for_allowed_origins(live_server: LiveServer) -> None:
    origin = live_server.settings.allowed_origins[0]
    preflight = httpx.options(
        f"{live_server.url}/api/ask/stream",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    with httpx.stream(
        "POST",
        f"{live_server.url}/api/ask/stream",
        json={"question": QUESTION},
        headers={"Origin": origin},
        timeout=60,
    ) as reply:
        assert reply.headers["access-control-allow-origin"] == origin
        reply.read()
