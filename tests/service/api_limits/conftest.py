"""API input and access over real HTTP against uvicorn: the server the tests in this folder
share (module-scoped: one per test module), with an admin key and one allowed origin.

The server embeds with `evals.crash.FakeEmbedder` (deterministic, counts nothing heavy): these
tests are about the HTTP layer and consistency, not retrieval quality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import numpy as np
import pytest

from askdocs.evals.crash import FakeEmbedder, fake_settings
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings
from tests.service.conftest import LiveServer, start_server

ADMIN_KEY = "Correct-Horse-Battery-Staple"
ALLOWED = "https://www.example.org"


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed, and count the call."""
        self.calls += 1
        return super().encode(texts, progress)


@dataclass
class Server(LiveServer):
    """A running askdocs server and the embedder it counts calls with."""

    embedder: CountingEmbedder


def start_counting_server(settings: Settings, embedder: CountingEmbedder) -> Server:
    """Serve `settings` over HTTP with `embedder`; stop it with `.stop()`."""
    live = start_server(settings, embedder)
    return Server(live.url, live.settings, live.server, live.thread, embedder)


def versioned_text(name: str, version: int) -> str:
    """The text of document `name` in revision `version` (each sentence names both)."""
    return " ".join(
        f"The {name} policy in revision {version} covers topic {k} for members." for k in range(8)
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """askdocs over a small fake-embedded index, with an admin key and one allowed origin."""
    root = tmp_path_factory.mktemp("limits")
    docs = root / "docs"
    docs.mkdir()
    for name in ("alpha", "beta"):
        (docs / f"{name}.txt").write_text(versioned_text(name, 0), encoding="utf-8")
    settings = fake_settings(root / "index").replace(
        admin_key=ADMIN_KEY, allowed_origins=[ALLOWED], abstain_threshold=0.0
    )
    embedder = CountingEmbedder()
    ingest_paths(settings.index, [docs], embedder, settings)
    live = start_counting_server(settings, embedder)
    yield live
    live.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the server."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def admin_headers() -> dict[str, str]:
    """The headers that carry the admin key."""
    return {"Authorization": f"Bearer {ADMIN_KEY}"}
