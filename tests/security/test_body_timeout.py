"""A body that does not arrive in time gets 408 instead of holding the request open."""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request

from askdocs.service.limits import BodySizeLimit
from tests.security.asgi import run


def test_a_withheld_body_gets_408() -> None:
    inner = FastAPI()

    @inner.post("/api/ask")
    async def ask(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client sends its headers, then nothing
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/ask",
        "headers": [],
        "query_string": b"",
    }
    started = time.monotonic()
    middleware = BodySizeLimit(inner, max_bytes=1024 * 1024, body_timeout_s=0.2)
    run(middleware(scope, receive, send))
    assert sent[0]["status"] == 408
    assert time.monotonic() - started < 5
