"""Admin uploads are authenticated before any of their body is read."""

from __future__ import annotations

import socket
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

from askdocs.service.limits import BodySizeLimit
from askdocs.settings import Settings
from tests.security.asgi import BODY_CHUNK, offer_body, run
from tests.service.conftest import LiveServer


def _upload(headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """Offer a 100 MB upload to the middleware; return (status, body chunks pulled)."""
    return offer_body(
        lambda app: BodySizeLimit(app, max_bytes=1024 * 1024, admin_key="right-key"),
        "/api/documents",
        headers,
    )


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-admin-key", b"wrong-key")],
        [(b"authorization", b"Bearer wrong-key")],
        [(b"authorization", b"Basic right-key")],
        [],
    ],
)
def test_a_wrong_key_is_refused_before_the_body_is_read(headers: list[tuple[bytes, bytes]]) -> None:
    status, pulled = _upload(headers)
    assert status == 401
    assert pulled == 0


def test_without_a_configured_key_uploads_are_refused_unread() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app was reached")

    scope = {"type": "http", "method": "POST", "path": "/api/documents", "headers": []}
    run(BodySizeLimit(app, max_bytes=1024)(scope, receive, send))
    assert sent[0]["status"] == 403


@pytest.fixture(scope="module")
def admin_server(
    serve: Callable[[Settings], LiveServer], sample_settings: Settings, sample_collection: Any
) -> LiveServer:
    return serve(Settings(index=sample_settings.index, admin_key="right-key"))


def test_a_real_server_answers_401_before_the_body_is_sent(admin_server: LiveServer) -> None:
    """150 MB declared (within the old 160 MB upload limit), 64 KB sent: the 401 still comes."""
    host, port = admin_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            "POST /api/documents HTTP/1.1\r\nHost: x\r\nX-Admin-Key: wrong-key\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {150 * 1024 * 1024}\r\n\r\n"
        )
        part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'
        sock.sendall(head.encode() + part + b"x" * BODY_CHUNK)
        reply = sock.recv(4096)  # before the fix: a timeout, the server waited for the body
    assert reply.startswith(b"HTTP/1.1 401")
