"""Driving ASGI middleware from sync tests: run a coroutine, offer a large request body."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# What `offer_body` sends: 1,600 chunks of 64 KiB, 100 MB in all.
BODY_CHUNK = 65536
BODY_CHUNKS = 1600

ASGIApp = Callable[[Any, Any, Any], Coroutine[Any, Any, None]]


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run` on a fresh thread (the browser tests leave a running loop on this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def offer_body(
    wrap: Callable[[ASGIApp], ASGIApp], path: str, headers: list[tuple[bytes, bytes]]
) -> tuple[int, int]:
    """POST a 100 MB body to `path` through the middleware `wrap` puts around an app that
    reads it all; return (the response status, how many body chunks were pulled)."""
    pulled = 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the whole body was read")

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        body = b"x" * BODY_CHUNK
        return {"type": "http.request", "body": body, "more_body": pulled < BODY_CHUNKS}

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    run(wrap(app)(scope, receive, send))
    return sent[0]["status"], pulled
