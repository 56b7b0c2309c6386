"""Slow-loris: a client that never finishes its request head is disconnected, and the server
keeps answering everyone else."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from askdocs.service.serving import HeadTimeoutProtocol, uvicorn_options
from askdocs.settings import Settings

HEAD_TIMEOUT_S = 0.5
SLOW_CLIENTS = 30  # with the silent one, within the per-client allowance


@contextlib.contextmanager
def _serve(head_timeout_s: float) -> Iterator[str]:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    options = uvicorn_options(Settings(header_timeout_s=head_timeout_s))
    options.pop("host"), options.pop("port")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with _serve(HEAD_TIMEOUT_S) as url:
        yield url


def _closed_by_server(conn: socket.socket) -> bool:
    """Whether the server has closed `conn` (a read returns EOF or the socket is reset)."""
    conn.settimeout(0.05)
    try:
        return conn.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_unfinished_request_heads_are_cut_off(server_url: str) -> None:
    port = int(server_url.rsplit(":", 1)[1])
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(SLOW_CLIENTS)]
    silent = socket.create_connection(("127.0.0.1", port))  # connects and sends nothing
    try:
        for conn in slow:
            conn.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + HEAD_TIMEOUT_S * 0.6
        while time.monotonic() < deadline:  # trickle a header line now and then
            for conn in slow:
                conn.sendall(b"X-a: b\r\n")
            time.sleep(0.05)
        assert httpx.get(server_url + "/ping").json() == {"pong": "yes"}
        time.sleep(HEAD_TIMEOUT_S * 1.5)
        for conn in slow:
            with contextlib.suppress(OSError):
                conn.sendall(b"X-a: b\r\n")
        assert sum(_closed_by_server(conn) for conn in slow) == SLOW_CLIENTS
        assert _closed_by_server(silent)
    finally:
        for conn in [*slow, silent]:
            conn.close()


def test_one_client_cannot_hold_every_connection() -> None:
    # A head deadline far beyond the test, so every close seen here is a refusal at accept time
    # (a loaded machine may take a while to accept 250 connections).
    with _serve(head_timeout_s=30.0) as server_url:
        _hold_every_connection(server_url)


def _hold_every_connection(server_url: str) -> None:
    port = int(server_url.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(250)]
    expected = 250 - HeadTimeoutProtocol.max_idle_per_client
    try:
        # Readable with nothing sent: EOF or reset, so closed by the server.
        deadline = time.monotonic() + 10
        refused = 0
        while refused < expected and time.monotonic() < deadline:
            time.sleep(0.05)
            refused = len(select.select(held, [], [], 0)[0])
        time.sleep(0.2)  # no more than the allowance is refused, even given time
        assert len(select.select(held, [], [], 0)[0]) == expected
        # Another address is not held back by them (uvicorn's limit_concurrency is 200).
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other) as client:
            assert client.get(server_url + "/ping").status_code == 200
    finally:
        for conn in held:
            conn.close()


def test_a_slow_answer_or_a_kept_alive_connection_is_not_cut(server_url: str) -> None:
    with httpx.Client(base_url=server_url) as client:
        first = client.post("/echo", content=b"x" * 1000)
        assert first.json() == {"n": 1000}
        # The next request on the same connection, within the keep-alive time, still works.
        time.sleep(HEAD_TIMEOUT_S * 0.5)
        assert client.get("/ping").status_code == 200
