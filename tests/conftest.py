"""Shared fixtures: the real packaged model, loaded once, and a tiny real index of the sample
corpus in a temp dir. Every test runs with HOME and ASKDOCS_* isolated from the user's own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "evals" / "corpus"
# The benchmark datasets lie in ../shared beside the repository, wherever that is.
DATASETS = ROOT.parent / "shared" / "datasets"
SAMPLE_QUESTIONS = ROOT / "evals" / "questions" / "sample.jsonl"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASKDOCS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    model = Embedder()
    model.encode_query("warm-up")
    return model


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a session-wide index of the sample corpus."""
    return Settings(index=tmp_path_factory.mktemp("sample") / "index")


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled sample corpus (tests may not touch the real one)."""
    target = tmp_path_factory.mktemp("corpus") / "docs"
    shutil.copytree(SAMPLE_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def sample_collection(
    sample_settings: Settings, sample_corpus: Path, embedder: Embedder
) -> Iterator[Collection]:
    """A real index (FAISS, SQLite, BM25) of the sample corpus; read-only for tests."""
    ingest_paths(sample_settings.index, [sample_corpus], embedder, sample_settings)
    collection = Collection.open(sample_settings.index, embedder)
    yield collection
    collection.close()
