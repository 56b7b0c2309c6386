"""A store damaged under a running server: 503 naming the problem, and /healthz says so.

On a private copy of the sample index (the real model), through the app in-process.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import STORE, current_version
from askdocs.service.app import create_app
from askdocs.settings import Settings

PAGE = 4096


@pytest.fixture
def index(tmp_path: Path, sample_settings: Settings, sample_collection: Collection) -> Path:
    """A private, writable copy of the sample index."""
    return Path(shutil.copytree(sample_settings.index, tmp_path / "index"))


@pytest.fixture
def client(index: Path, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(index=index), embedder=embedder)) as test_client:
        yield test_client


def _damage(store: Path, keep_stamp: bool = False) -> None:
    """Flip every byte past the first page (the schema stays readable), in place; with
    `keep_stamp`, put the modification time back so only SQLite can notice."""
    before = os.stat(store)
    with store.open("r+b") as handle:
        handle.seek(PAGE)
        data = bytes(b ^ 0xFF for b in handle.read())
        handle.seek(PAGE)
        handle.write(data)
    if keep_stamp:
        os.utime(store, ns=(before.st_atime_ns, before.st_mtime_ns))


def _live_store(index: Path) -> Path:
    live = current_version(index)
    assert live is not None
    return live / STORE


def _assert_unavailable(client: TestClient, store: Path) -> None:
    # Clients read the store's path inside the index folder, never where the server keeps it.
    inside = str(store.relative_to(store.parents[2]))
    for response in (
        client.get("/api/documents"),
        client.post("/api/ask", json={"question": "What is the Spotlight Initiative?"}),
        client.post("/api/search", json={"query": "Spotlight Initiative"}),
    ):
        assert response.status_code == 503, response.text
        detail = response.json()["detail"]
        assert inside in detail and "corrupt" in detail
        assert str(store.parents[2]) not in detail
    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "corrupt" and inside in body["warning"]
    assert str(store.parents[2]) not in body["warning"]


def test_a_store_damaged_while_serving_is_a_503_and_healthz_reports_it(
    client: TestClient, index: Path
) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/api/documents").status_code == 200
    store = _live_store(index)
    _damage(store)
    _assert_unavailable(client, store)


def test_damage_only_sqlite_notices_is_a_503_too(client: TestClient, index: Path) -> None:
    store = _live_store(index)
    _damage(store, keep_stamp=True)
    response = client.get("/api/documents")
    assert response.status_code == 503, response.text
    assert "cannot be read" in response.json()["detail"]
    _assert_unavailable(client, store)


def test_no_index_is_a_503_on_healthz(tmp_path: Path, embedder: Embedder) -> None:
    with TestClient(create_app(Settings(index=tmp_path / "none"), embedder=embedder)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "no-index"
        detail = client.get("/api/documents").json()["detail"]
        assert str(tmp_path) not in detail and "none" in detail
