"""Incremental ingest: unchanged files embed nothing, changed ones are replaced, gone ones pruned;
versions switch atomically and an index refuses another model or format."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from askdocs.errors import CorruptIndexError, IncompatibleIndexError, IndexNotFoundError
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import current_version
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "refunds.txt").write_text(
        "Refunds are paid within 14 days of the return arriving at our warehouse.", encoding="utf-8"
    )
    (folder / "shipping.md").write_text(
        "# Shipping\n\nParcels ship from Rotterdam every weekday before noon.", encoding="utf-8"
    )
    return folder


@dataclass(frozen=True)
class Indexed:
    """A fresh index holding the two documents of `_docs`, ingested once."""

    settings: Settings
    docs: Path


@pytest.fixture
def indexed(tmp_path: Path, embedder: Embedder) -> Indexed:
    settings = Settings(index=tmp_path / "index")
    docs = _docs(tmp_path)
    ingest_paths(settings.index, [docs], embedder, settings)
    return Indexed(settings, docs)


def test_second_ingest_embeds_nothing_and_keeps_the_version(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(index=tmp_path / "index")
    docs = _docs(tmp_path)
    first = ingest_paths(settings.index, [docs], embedder, settings)
    assert len(first.added) == 2 and first.chunks_embedded == 2
    second = ingest_paths(settings.index, [docs], embedder, settings)
    assert second.chunks_embedded == 0
    assert second.unchanged == 2 and not second.changed
    assert second.version == first.version
    assert min(second.timings.values()) >= 0 and second.timings["loading"] > 0


def test_changed_file_is_replaced_and_removed_file_pruned(
    indexed: Indexed, embedder: Embedder
) -> None:
    settings, docs = indexed.settings, indexed.docs
    (docs / "refunds.txt").write_text(
        "Refunds are now paid within 30 days by bank transfer.", encoding="utf-8"
    )
    report = ingest_paths(settings.index, [docs], embedder, settings)
    assert [Path(s).name for s in report.updated] == ["refunds.txt"]
    assert report.chunks_embedded == 1 and report.unchanged == 1
    collection = Collection.open(settings.index, embedder)
    hits = collection.search("how long do refunds take", k=5, mode="lexical")
    texts = [h.stored.chunk.text for h in hits]
    assert any("30 days" in t for t in texts)
    assert not any("14 days" in t for t in texts)
    assert len(collection.list_documents()) == 2

    (docs / "shipping.md").unlink()
    without_prune = ingest_paths(settings.index, [docs], embedder, settings)
    assert without_prune.removed == [] and without_prune.documents == 2
    pruned = ingest_paths(settings.index, [docs], embedder, settings, prune=True)
    assert [Path(s).name for s in pruned.removed] == ["shipping.md"]
    assert pruned.chunks_embedded == 0
    titles = [d.title for d in Collection.open(settings.index, embedder).list_documents()]
    assert titles == ["Refunds"]


def test_new_version_is_written_beside_the_old_and_switched(
    indexed: Indexed, embedder: Embedder
) -> None:
    settings, docs = indexed.settings, indexed.docs
    old = current_version(settings.index)
    reader = Collection.open(settings.index, embedder)
    (docs / "new.txt").write_text("Gift cards never expire.", encoding="utf-8")
    ingest_paths(settings.index, [docs], embedder, settings)
    new = current_version(settings.index)
    assert old is not None and new is not None and new != old
    assert old.is_dir()  # the previous version stays for readers that still use it
    assert len(reader.list_documents()) == 2  # an open view keeps reading its own version
    assert len(Collection.open(settings.index, embedder).list_documents()) == 3
    manifest = json.loads((new / "manifest.json").read_text())
    assert manifest["documents"] == 3 and manifest["dimension"] == embedder.dimension
    assert set(manifest["checksums"]) >= {"store.sqlite", "vectors.faiss"}
    assert not any(p.suffix == ".pkl" or p.suffix == ".pickle" for p in new.rglob("*"))


def test_opening_with_another_model_or_format_fails_clearly(
    indexed: Indexed, embedder: Embedder
) -> None:
    settings = indexed.settings
    other = Embedder(model="/models/some-other-model")
    with pytest.raises(IncompatibleIndexError, match="built with model"):
        Collection.open(settings.index, other)
    with pytest.raises(IncompatibleIndexError, match="chunked with"):
        ingest_paths(settings.index, [indexed.docs], embedder, settings.replace(chunk_tokens=64))
    version = current_version(settings.index)
    assert version is not None
    manifest_path = version / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 999
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IncompatibleIndexError, match=r"in format 999; .* reads format 2 only"):
        Collection.open(settings.index, embedder)


def test_corrupted_file_and_missing_index_give_clear_errors(
    tmp_path: Path, indexed: Indexed, embedder: Embedder
) -> None:
    with pytest.raises(IndexNotFoundError, match="askdocs ingest"):
        Collection.open(tmp_path / "nothing", embedder)
    settings = indexed.settings
    version = current_version(settings.index)
    assert version is not None
    with (version / "vectors.faiss").open("r+b") as handle:
        handle.seek(60)
        handle.write(b"\xff\xfe\xfd")
    with pytest.raises(CorruptIndexError, match=r"vectors\.faiss"):
        Collection.open(settings.index, embedder)


def test_failed_write_leaves_previous_version_live(
    indexed: Indexed, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, docs = indexed.settings, indexed.docs
    before = current_version(settings.index)
    (docs / "new.txt").write_text("Gift cards never expire.", encoding="utf-8")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("askdocs.index.vectors.VectorIndex.save", disk_full)
    with pytest.raises(Exception, match="No space left on device"):
        ingest_paths(settings.index, [docs], embedder, settings)
    assert current_version(settings.index) == before
    assert len(Collection.open(settings.index, embedder).list_documents()) == 2
    assert before is not None
    assert sorted(p.name for p in (settings.index / "versions").iterdir()) == [before.name]
    shutil.rmtree(settings.index)
