"""Shared fixtures: the real packaged model, loaded once, and a tiny real index of the sample
corpus in a temp dir. Every test runs with HOME and ASKDOCS_* isolated from the user's own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from askdocs.index.backend import Backend, open_backend
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "evals" / "corpus"
# The benchmark datasets lie in ../shared beside the repository, wherever that is.
DATASETS = ROOT.parent / "shared" / "datasets"
SAMPLE_QUESTIONS = ROOT / "evals" / "questions" / "sample.jsonl"
# ONNX exports of the model for the tests: in the repository's .cache (ignored by git), never the
# user's ~/.cache. Kept between runs, keyed by the model's files like any export, so the export
# (~7 s) and the int8 quantisation are paid on the first run only.
ONNX_CACHE = ROOT / ".cache" / "onnx"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASKDOCS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # caches go under the temporary HOME
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def onnx_cache() -> Path:
    """Where the session's embedders keep ONNX exports (session fixtures are set up before the
    environment is isolated, so they name their cache rather than find it through HOME)."""
    return ONNX_CACHE


@pytest.fixture(scope="session")
def embedder(onnx_cache: Path) -> Embedder:
    """The packaged all-MiniLM-L6-v2 on the default backend, loaded once for the whole run."""
    model = Embedder(cache_dir=onnx_cache)
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


@pytest.fixture(scope="session")
def qdrant_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a session-wide Qdrant collection (Qdrant's in-process local mode)."""
    root = tmp_path_factory.mktemp("qdrant")
    return Settings(index=root / "index", backend="qdrant", qdrant_path=root / "qdrant")


@pytest.fixture(scope="session")
def qdrant_collection(
    qdrant_settings: Settings, sample_corpus: Path, embedder: Embedder
) -> Backend:
    """The sample corpus (the same copy as `sample_collection`) in Qdrant; read-only for tests."""
    ingest_paths(qdrant_settings.index, [sample_corpus], embedder, qdrant_settings)
    return open_backend(qdrant_settings, embedder)
