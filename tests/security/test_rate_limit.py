"""The rate limit keys on the real peer, covers the public API, and is on beyond loopback."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from askdocs.console import load_settings
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.service.limits import RateLimit
from askdocs.service.serving import uvicorn_options
from askdocs.settings import Settings
from tests.security.asgi import run
from tests.service.conftest import start_server


def _limiter(**options: Any) -> Callable[..., int]:
    """A 2-a-minute limiter on a stub app, and a function sending one request through it."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limiter = RateLimit(app, per_minute=2, clock=lambda: 0.0, **options)

    def request(peer: str, path: str = "/api/ask", method: str = "POST", xff: str = "") -> int:
        sent: list[MutableMapping[str, Any]] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        scope = {"type": "http", "method": method, "path": path, "client": (peer, 1)}
        run(limiter({**scope, "headers": headers}, receive, send))
        status: int = sent[0]["status"]
        return status

    return request


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    request = _limiter()
    statuses = [request("127.0.0.1", xff=f"10.0.0.{n}") for n in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_x_forwarded_for_from_a_trusted_proxy_tells_clients_apart() -> None:
    request = _limiter(trusted_proxies=["10.1.0.0/16"])
    assert [request("10.1.2.3", xff="203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert request("10.1.2.3", xff="203.0.113.8") == 200
    # A spoofed hop to the left of the real client does not buy a fresh bucket.
    assert request("10.1.2.3", xff="1.2.3.4, 203.0.113.7") == 429


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/search", "POST"), ("/api/ask/stream", "POST"), ("/api/documents/x", "GET")],
)
def test_every_public_api_route_is_limited(path: str, method: str) -> None:
    request = _limiter()
    assert [request("127.0.0.1", path, method) for _ in range(3)] == [200, 200, 429]


def test_pages_and_health_are_not_limited() -> None:
    request = _limiter()
    assert {request("127.0.0.1", path, "GET") for path in ("/", "/healthz") * 3} == {200}


def test_the_limit_is_on_by_default_beyond_loopback_only() -> None:
    assert Settings().effective_rate_limit() == 0
    for host in ("127.0.0.2", "::1", "localhost"):
        assert Settings(host=host).effective_rate_limit() == 0
    for host in ("0.0.0.0", "192.168.1.5", "docs.example.org"):
        assert Settings(host=host).effective_rate_limit() == 120
    # As `askdocs serve --host 0.0.0.0` builds them.
    assert load_settings(host="0.0.0.0").effective_rate_limit() == 120
    assert Settings(host="0.0.0.0", rate_limit_per_minute=0).effective_rate_limit() == 0
    assert Settings(rate_limit_per_minute=7).effective_rate_limit() == 7


def test_explicit_limit_from_the_environment_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDOCS_RATE_LIMIT_PER_MINUTE", "0")
    assert load_settings(host="0.0.0.0").effective_rate_limit() == 0


def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDOCS_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=["not-an-ip"])


@pytest.mark.parametrize(
    "origin", ["null", "https://a.example/path", "file://", "a.example", "https://a.example?x"]
)
def test_origins_that_are_not_scheme_host_port_are_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="allowed_origins"):
        Settings(allowed_origins=[origin])


def test_good_origins_are_accepted() -> None:
    origins = ["https://a.example", "http://localhost:3000", "http://[::1]:8080/"]
    assert Settings(allowed_origins=origins).allowed_origins == origins


def test_a_live_server_cannot_be_escaped_with_x_forwarded_for(
    embedder: Embedder, sample_settings: Settings, sample_collection: Collection
) -> None:
    settings = Settings(index=sample_settings.index, rate_limit_per_minute=2)
    options = uvicorn_options(settings)  # as `askdocs serve` runs it; the socket is our own
    del options["host"], options["port"]
    live = start_server(settings, embedder, **options)
    try:
        statuses = [
            httpx.post(
                f"{live.url}/api/search",
                json={"query": "gender"},
                headers={"x-forwarded-for": f"10.9.9.{n}"},
                timeout=30,
            ).status_code
            for n in range(3)
        ]
        assert statuses == [200, 200, 429]
    finally:
        live.stop()
