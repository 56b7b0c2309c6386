"""Live servers for the browser and concurrency tests: askdocs under uvicorn in a background
thread, plain static sites on other ports (other origins) for host pages, and one headless
Debian chromium driven by playwright for the whole session."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from starlette.types import ASGIApp

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.service.app import create_app
from askdocs.settings import Settings

if TYPE_CHECKING:  # playwright is imported where a browser is needed, not by every test here
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 30_000


@dataclass
class LiveServer:
    """An askdocs app served over real HTTP on 127.0.0.1."""

    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class StaticSite:
    """A folder served by a plain HTTP server: another origin for host pages."""

    url: str
    folder: Path
    server: ThreadingHTTPServer

    def write(self, name: str, html: str) -> str:
        """Write a page into the site and return its URL."""
        (self.folder / name).write_text(html, encoding="utf-8")
        return f"{self.url}/{name}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_server(settings: Settings, embedder: Embedder, **options: Any) -> LiveServer:
    """Serve `create_app(settings, embedder)` with uvicorn (given `options`) in a thread."""
    url, server, thread = serve_app(create_app(settings, embedder=embedder), **options)
    return LiveServer(url, settings, server, thread)


def serve_app(app: ASGIApp, **options: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Serve `app` with uvicorn (given `options`) in a thread: its URL, server and thread."""
    sock = _bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the askdocs test server did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def start_site(folder: Path) -> StaticSite:
    """Serve `folder` on a free port."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return StaticSite(f"http://127.0.0.1:{server.server_address[1]}", folder, server)


@pytest.fixture(scope="session")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    """A site whose origin is in the widget's allowed origins."""
    site = start_site(tmp_path_factory.mktemp("host-site"))
    yield site
    site.server.shutdown()


@pytest.fixture(scope="session")
def foreign_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    """A site whose origin is not allowed."""
    site = start_site(tmp_path_factory.mktemp("foreign-site"))
    yield site
    site.server.shutdown()


@pytest.fixture(scope="session")
def serve(embedder: Embedder) -> Iterator[Callable[[Settings], LiveServer]]:
    """Start askdocs servers on demand; all are stopped at the end of the session."""
    servers: list[LiveServer] = []

    def _serve(settings: Settings) -> LiveServer:
        live = start_server(settings, embedder)
        servers.append(live)
        return live

    yield _serve
    for live in servers:
        live.stop()


@pytest.fixture(scope="session")
def live_server(
    serve: Callable[[Settings], LiveServer], sample_collection: Collection, host_site: StaticSite
) -> LiveServer:
    """askdocs over the sample corpus (read-only), allowing the host site's origin."""
    return serve(Settings(index=sample_collection.root, allowed_origins=[host_site.url]))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (its own sessionStorage)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the test's browser profile."""
    return context.new_page()
