"""A small OpenAI-compatible chat completions server for the tests, with scripted replies.

A real HTTP server on a free loopback port (http.server in a thread). Each test sets `script`,
a function of the request's JSON returning a `Scripted` reply: its status, the bytes to send
(cut where the test wants, mid-event included), a delay before answering. Replies are built
from the request's own numbered sources, so they quote whatever the askdocs answerer found.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """One reply: `chunks` are written (and flushed) one by one, `pause_s` apart."""

    chunks: list[bytes]
    status: int = 200
    content_type: str = "text/event-stream"
    delay_s: float = 0.0
    pause_s: float = 0.0


Script = Callable[[dict[str, Any]], Scripted]


def sse_chunks(text: str, piece: int = 6, cut: int | None = None) -> list[bytes]:
    """`text` as OpenAI stream chunks of `piece` characters, then [DONE]; the bytes re-cut
    every `cut` bytes when given (events split anywhere, inside `data:` lines too)."""
    events = [b'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n']
    for i in range(0, len(text), piece):
        delta = {"choices": [{"index": 0, "delta": {"content": text[i : i + piece]}}]}
        events.append(f"data: {json.dumps(delta)}\n\n".encode())
    events.append(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    events.append(b"data: [DONE]\n\n")
    if cut is None:
        return events
    whole = b"".join(events)
    return [whole[i : i + cut] for i in range(0, len(whole), cut)]


def streamed(text: str, **options: Any) -> Scripted:
    """A streamed reply saying `text`."""
    cut = options.pop("cut", None)
    return Scripted(sse_chunks(text, cut=cut), **options)


def sources_of(request: dict[str, Any]) -> dict[int, str]:
    """The numbered sources in the request's last user message."""
    user = request["messages"][-1]["content"]
    data = user.split("<sources>\n", 1)[1].split("\n</sources>", 1)[0]
    out: dict[int, str] = {}
    for line in data.split("\n"):
        match = re.match(r"\[(\d+)\] (.*)", line)
        if match:
            out[int(match.group(1))] = match.group(2)
    return out


def first_sentence(request: dict[str, Any], n: int = 1) -> str:
    """Source `n`'s first sentence, without its closing stop."""
    text = sources_of(request)[n]
    end = re.search(r"[.!?](\s|$)", text)
    return (text[: end.start()] if end else text).strip()


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedLLM

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), **request})
        reply = self.server.script(request)
        time.sleep(reply.delay_s)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in reply.chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(reply.pause_s)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class ScriptedLLM(ThreadingHTTPServer):
    """The server; `url` is its OpenAI base URL (…/v1); `requests` what it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: Script = lambda request: streamed("Nothing scripted.")
        self.requests: list[dict[str, Any]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"
