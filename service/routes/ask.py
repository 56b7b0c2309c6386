"""POST /api/ask: a cited answer, or an abstention; POST /api/ask/stream: the same answer as
Server-Sent Events, as it is written.

The stream: `event: citations` (the numbered sources), `event: delta` (text to append; in
generated mode one checked sentence each), `event: done` (the object POST /api/ask returns),
or `event: error` after an unexpected failure. Each event is one `data:` line of compact
JSON. Errors known before the stream starts (422, 429, 503) are ordinary JSON replies.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter
from starlette.concurrency import iterate_in_threadpool

from askdocs.errors import AskdocsError
from askdocs.service.answerer.pipeline import Citation
from askdocs.service.conversation import Turn
from askdocs.service.deps import AnswererDep
from askdocs.service.errors import public
from askdocs.service.generation.generate import Delta, Done, Event, Reply, Sources, answer_events
from askdocs.service.generation.generate import answer as answer_question
from askdocs.service.schemas import AskRequest, AskResponse, CitationOut

router = APIRouter(prefix="/api", tags=["ask"])
log = logging.getLogger("askdocs.service")

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_CITATIONS = TypeAdapter(list[CitationOut])


def _citations_out(citations: list[Citation]) -> list[CitationOut]:
    return [CitationOut(**asdict(c)) for c in citations]


def response_of(reply: Reply) -> AskResponse:
    """The JSON body of an answer."""
    return AskResponse(
        answer=reply.answer,
        abstained=reply.abstained,
        mode=reply.mode,
        dropped=reply.dropped,
        citations=_citations_out(reply.citations),
    )


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, answerer: AnswererDep) -> AskResponse:
    """Answer a question from the documents, quoting the excerpts it rests on."""
    history = [Turn(t.role, t.content) for t in body.history]
    return response_of(answer_question(answerer, body.question, history, body.top_k))


def sse(name: str, data: object) -> str:
    """One Server-Sent Event: its name and one line of compact JSON."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"


def event_text(event: Event) -> str:
    """An answer event as the stream sends it."""
    if isinstance(event, Sources):
        citations = _CITATIONS.dump_python(_citations_out(event.citations), mode="json")
        return sse("citations", {"citations": citations})
    if isinstance(event, Delta):
        return sse("delta", {"text": event.text})
    return sse("done", response_of(event.reply).model_dump(mode="json"))


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def ask_stream(body: AskRequest, answerer: AnswererDep) -> StreamingResponse:
    """The answer to a question as Server-Sent Events: `citations`, `delta`..., `done`."""
    history = [Turn(t.role, t.content) for t in body.history]

    async def events() -> AsyncIterator[str]:
        # The answerer and the model client are sync: each step runs in the thread pool, so
        # the event loop serves other requests meanwhile.
        source = answer_events(answerer, body.question, history, body.top_k)
        try:
            async for event in iterate_in_threadpool(source):
                yield event_text(event)
                if isinstance(event, Done):
                    break
        except Exception as exc:  # the stream has started: report, don't drop the connection
            log.exception("the answer stream failed")
            detail = "the answer failed (internal error)"
            if isinstance(exc, AskdocsError):
                detail = public(str(exc), answerer.settings.index)
            yield sse("error", {"detail": detail})
        finally:
            # Ends a model request still streaming (the client left); a step still running in
            # its thread (ValueError) ends with the model server's timeout instead.
            with contextlib.suppress(ValueError):
                source.close()

    return StreamingResponse(events(), media_type="text/event-stream", headers=STREAM_HEADERS)
