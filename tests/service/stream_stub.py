"""A stand-in askdocs for the browser tests of streamed answers: the real pages and scripts
(the app's own pages router: `/`, `/static/chat.js` and `/widget.js` as askdocs serves them)
beside a POST /api/ask/stream whose bytes the test sends one step at a time, holding the
stream open in between, so a test can look at the page before the answer is complete.

The tests are about rendering, not answering. An end-to-end test against the real service
takes the same page steps (browser_helpers) against a `LiveServer` instead.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from askdocs.service.cors import CORSMiddleware
from askdocs.service.routes import pages
from tests.service.conftest import serve_app

EVENT_STREAM = "text/event-stream; charset=utf-8"
POLL_S = 0.01  # how often a held stream looks for the test's next bytes
IDLE_S = 60.0  # a stream the test stopped feeding ends, so a failed test hangs nothing


def sse(event: str, data: object) -> bytes:
    """One event in the stream's format: its name, one `data:` line of compact JSON."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {text}\n\n".encode()


@dataclass
class ScriptedStreams:
    """What the stub's POST /api/ask/stream does, set by the test: answer `plain` (a status
    and a JSON body, e.g. an error), else stream the bytes the test sends, as it sends them."""

    asked: list[dict[str, Any]] = field(default_factory=list)  # request bodies, in order
    plain: tuple[int, dict[str, Any]] | None = None
    _chunks: queue.Queue[bytes | None] = field(default_factory=queue.Queue)

    def send(self, *chunks: bytes) -> None:
        """Bytes for the stream, each written as it is (one network write a chunk)."""
        for chunk in chunks:
            self._chunks.put(chunk)

    def event(self, name: str, data: object) -> None:
        """One whole event for the stream."""
        self.send(sse(name, data))

    def end(self) -> None:
        """End the stream once what was sent before is written."""
        self._chunks.put(None)

    async def body(self) -> AsyncIterator[bytes]:
        """The stream's bytes: what the test sends, until it ends the stream."""
        idle = 0.0
        while idle < IDLE_S:
            try:
                chunk = self._chunks.get_nowait()
            except queue.Empty:
                await asyncio.sleep(POLL_S)
                idle += POLL_S
                continue
            if chunk is None:
                return
            idle = 0.0
            yield chunk


def stub_app(streams: ScriptedStreams, allowed_origins: list[str]) -> FastAPI:
    """The real pages and scripts, and the scripted stream route (CORS as askdocs has it)."""
    app = FastAPI()
    app.include_router(pages.router)

    @app.post("/api/ask/stream")
    async def ask_stream(request: Request) -> Response:
        streams.asked.append(await request.json())
        if streams.plain is not None:
            status, body = streams.plain
            return JSONResponse(body, status_code=status)
        return StreamingResponse(streams.body(), media_type=EVENT_STREAM)

    app.add_middleware(CORSMiddleware, allowed_origins=allowed_origins)
    return app


@dataclass
class StreamStub:
    """The stub served over real HTTP on 127.0.0.1."""

    url: str
    streams: ScriptedStreams
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """End any held stream, ask uvicorn to finish and wait for its thread."""
        self.streams.end()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_stub(allowed_origins: list[str]) -> StreamStub:
    """Serve a fresh stub on a free port."""
    streams = ScriptedStreams()
    url, server, thread = serve_app(stub_app(streams, allowed_origins))
    return StreamStub(url, streams, server, thread)
