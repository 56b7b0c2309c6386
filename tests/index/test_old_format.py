"""An index written in an older format is refused in one line that says to ingest again: by the
CLI (ask, ingest, serve) and, when the live version switches to one under a running server, by
the API (503, and /healthz says "incompatible")."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import current_version, version_dirs
from askdocs.index.manifest import MANIFEST
from askdocs.service.app import create_app
from askdocs.settings import Settings
from tests.conftest import SAMPLE_CORPUS

ASKDOCS = str(Path(sys.executable).with_name("askdocs"))


def _as_format_1(version: Path) -> None:
    manifest = json.loads((version / MANIFEST).read_text())
    (version / MANIFEST).write_text(json.dumps({**manifest, "format_version": 1}))


@pytest.fixture
def index(tmp_path: Path, sample_settings: Settings, sample_collection: Collection) -> Path:
    """A private copy of the sample index (built with the real model)."""
    return Path(shutil.copytree(sample_settings.index, tmp_path / "index"))


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKDOCS_")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1")
    return subprocess.run(
        [ASKDOCS, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_the_cli_refuses_an_old_format_in_one_line(index: Path, tmp_path: Path) -> None:
    live = current_version(index)
    assert live is not None
    _as_format_1(live)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    for args in (
        ("ask", "What is the Spotlight Initiative?"),
        ("search", "Spotlight"),
        ("ingest", str(SAMPLE_CORPUS)),
        ("serve", "--port", port),
    ):
        result = _cli(*args, "--index", str(index), home=tmp_path / "home")
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr == (
            f"error: the index at {index} is in format 1; this askdocs reads format 2 only. "
            "Ingest your documents again into a new index (askdocs ingest PATH... --index "
            f"NEW_FOLDER), or delete {index} and ingest again\n"
        ), args
    assert [p.name for p in version_dirs(index)] == [live.name]  # nothing written or deleted


def test_the_api_answers_503_once_the_live_version_is_of_an_old_format(
    index: Path, embedder: Embedder
) -> None:
    with TestClient(create_app(Settings(index=index), embedder=embedder)) as client:
        assert client.post("/api/search", json={"query": "Spotlight"}).status_code == 200
        # As an older askdocs would leave it: a new version of its format made live.
        live = current_version(index)
        assert live is not None
        older = Path(shutil.copytree(live, live.parent / "v000099"))
        _as_format_1(older)
        (index / "CURRENT").write_text(older.name)
        for response in (
            client.post("/api/search", json={"query": "Spotlight"}),
            client.post("/api/ask", json={"question": "What is the Spotlight Initiative?"}),
        ):
            assert response.status_code == 503, response.text
            detail = response.json()["detail"]
            assert "in format 1; this askdocs reads format 2" in detail
            assert "ingest again" in detail and str(index) not in detail
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "incompatible"
