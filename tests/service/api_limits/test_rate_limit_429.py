"""Rate limiting (429): the settings, the per-client buckets and the limit over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from askdocs.service.limits import RateLimit
from askdocs.settings import Settings
from tests.service.api_limits.conftest import Server, start_counting_server

# --- 429: rate limiting --------------------------------------------------------------------


def test_settings_refuse_bad_limits() -> None:
    with pytest.raises(ValidationError, match="rate_limit_per_minute"):
        Settings(rate_limit_per_minute=-1)
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings(max_body_bytes=0)
    assert Settings().rate_limit_per_minute == 0  # off unless configured


def test_the_rate_limit_is_per_client_and_refills() -> None:
    now = [0.0]
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limiter = RateLimit(app, per_minute=2, clock=lambda: now[0])

    def ask(ip: str) -> tuple[int, dict[bytes, bytes]]:
        sent: list[MutableMapping[str, Any]] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/api/ask", "client": (ip, 1)}
        asyncio.run(limiter(scope, receive, send))
        return sent[0]["status"], dict(sent[0]["headers"])

    assert [ask("10.0.0.1")[0] for _ in range(2)] == [200, 200]
    status, headers = ask("10.0.0.1")
    assert status == 429 and headers[b"retry-after"] == b"30"  # one question per 30 s
    assert ask("10.0.0.2")[0] == 200  # another client has its own bucket
    now[0] = 30.0
    assert ask("10.0.0.1")[0] == 200
    assert ask("10.0.0.1")[0] == 429


def test_ask_over_the_rate_limit_gets_429_with_retry_after(server: Server) -> None:
    settings = server.settings.replace(rate_limit_per_minute=3)
    limited = start_counting_server(settings, server.embedder)
    try:
        with httpx.Client(base_url=limited.url, timeout=30) as http:
            statuses = [
                http.post("/api/ask", json={"question": "alpha policy?"}).status_code
                for _ in range(3)
            ]
            assert statuses == [200, 200, 200]
            response = http.post("/api/ask", json={"question": "alpha policy?"})
            assert response.status_code == 429
            assert int(response.headers["Retry-After"]) >= 1
            assert "too many questions" in response.json()["detail"]
            assert http.post("/api/search", json={"query": "alpha"}).status_code == 429
    finally:
        limited.stop()
