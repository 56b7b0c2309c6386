"""Asking a live askdocs over HTTP, reading its event stream, checking its invariants."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.service.conftest import LiveServer

TIMEOUT_S = 60.0


def ask(server: LiveServer, question: str, **body: Any) -> dict[str, Any]:
    """POST /api/ask's answer."""
    reply = httpx.post(
        f"{server.url}/api/ask", json={"question": question, **body}, timeout=TIMEOUT_S
    )
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def stream(server: LiveServer, question: str, **body: Any) -> list[tuple[str, Any]]:
    """POST /api/ask/stream's events, (name, data) in order."""
    with httpx.stream(
        "POST",
        f"{server.url}/api/ask/stream",
        json={"question": question, **body},
        timeout=TIMEOUT_S,
    ) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert reply.headers["cache-control"] == "no-cache"
        assert reply.headers["x-accel-buffering"] == "no"
        text = reply.read().decode("utf-8")
    events: list[tuple[str, Any]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = block.split("\n")  # one event line, one data line
        assert name.startswith("event: ") and data.startswith("data: ")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def done_of(events: list[tuple[str, Any]]) -> dict[str, Any]:
    """The stream's final answer, after checking the stream's order and invariants:
    citations first, deltas, done last; the deltas spell done's answer; done cites a subset
    of the announced citations under the same numbers."""
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) <= {"delta"}
    done: dict[str, Any] = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    announced = {c["n"]: c for c in events[0][1]["citations"]}
    for citation in done["citations"]:
        assert announced[citation["n"]] == citation
    return done


def assert_offsets(server: LiveServer, citations: list[dict[str, Any]]) -> None:
    """Every citation is `document.text[start:end]` of the document the API serves."""
    texts: dict[str, str] = {}
    for c in citations:
        if c["doc_id"] not in texts:
            reply = httpx.get(f"{server.url}/api/documents/{c['doc_id']}", timeout=TIMEOUT_S)
            texts[c["doc_id"]] = reply.json()["text"]
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["excerpt"]
