"""The index life cycle: which version is served, fallback from a corrupt one, what clean-up
keeps, and what start-up tidies after a crash (unfinished versions, interrupted uploads).

Ingests here embed with `evals.crash.FakeEmbedder`: these tests are about files on disk.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askdocs.errors import CorruptIndexError
from askdocs.evals.crash import FakeEmbedder, fake_settings, write_corpus
from askdocs.index.collection import Collection
from askdocs.index.layout import (
    STORE,
    current_version,
    is_valid,
    remove_stale_versions,
    version_dirs,
)
from askdocs.index.manifest import MANIFEST
from askdocs.index.store import Store
from askdocs.index.uploads import JOURNAL
from askdocs.index.writer import ingest_paths, tidy
from askdocs.service.app import check_index, create_app
from askdocs.settings import Settings
from tests.service.upload_jobs import upload_report

KEY = "lifecycle-admin-key"


def _ingest(index: Path, folder: Path) -> None:
    ingest_paths(index, [folder], FakeEmbedder(), fake_settings(index), prune=True)


def _ingest_rounds(tmp_path: Path, rounds: int, files: int = 3) -> tuple[Path, Path]:
    """(index, docs folder): `files` documents rewritten and ingested `rounds` times, one
    version each."""
    index, docs = tmp_path / "index", tmp_path / "docs"
    for revision in range(rounds):
        write_corpus(docs, revision, files=files)
        _ingest(index, docs)
    return index, docs


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _names(index: Path) -> list[str]:
    return [p.name for p in version_dirs(index)]


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    """An index with two intact versions, v000001 (previous) and v000002 (live)."""
    index, _ = _ingest_rounds(tmp_path, 2)
    assert _names(index) == ["v000001", "v000002"]
    return index


def _client(index: Path) -> TestClient:
    settings = Settings(index=index, chunk_tokens=64, chunk_overlap=8, admin_key=KEY)
    return TestClient(create_app(settings, embedder=FakeEmbedder()))


# --- which version is served -----------------------------------------------------------------


def test_a_corrupt_live_version_falls_back_to_the_newest_intact_one(
    two_versions: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _flip(two_versions / "versions" / "v000002" / STORE)
    with pytest.raises(CorruptIndexError, match="checksum"):
        Collection.open(two_versions, FakeEmbedder())  # the CLI does not fall back
    assert check_index(Settings(index=two_versions)) is not None  # serve would start
    with caplog.at_level(logging.WARNING), _client(two_versions) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded" and body["version"] == "v000001"
        assert "v000002 is corrupt" in body["warning"] and "checksum" in body["warning"]
        assert client.get("/api/documents").status_code == 200
        search = client.post("/api/search", json={"query": "topic1 word7", "mode": "lexical"})
        assert search.status_code == 200 and search.json()["results"]
    assert any("serving the previous version v000001" in r.getMessage() for r in caplog.records)
    assert current_version(two_versions) == two_versions / "versions" / "v000002"  # untouched


def test_ingest_does_not_build_on_a_corrupt_live_store(two_versions: Path, tmp_path: Path) -> None:
    _flip(two_versions / "versions" / "v000002" / STORE)
    more = tmp_path / "more"
    more.mkdir()
    (more / "new.txt").write_text("A new document about pears. " * 20)
    with pytest.raises(CorruptIndexError, match="will not build on it"):
        _ingest(two_versions, more)
    assert _names(two_versions) == ["v000001", "v000002"]


def test_an_unfinished_live_version_falls_back_too(two_versions: Path) -> None:
    (two_versions / "versions" / "v000002" / MANIFEST).unlink()
    collection = Collection.open(two_versions, FakeEmbedder(), fallback=True)
    try:
        assert collection.version == "v000001"
        assert collection.warning is not None and "no manifest" in collection.warning
    finally:
        collection.close()


def test_no_intact_version_is_one_clear_error(two_versions: Path) -> None:
    for name in ("v000001", "v000002"):
        _flip(two_versions / "versions" / name / STORE)
    with pytest.raises(CorruptIndexError) as error:
        check_index(Settings(index=two_versions))
    message = str(error.value)
    assert "no intact version" in message and "v000002" in message and "\n" not in message
    with pytest.raises(CorruptIndexError, match="no intact version"), _client(two_versions):
        pass  # the lifespan refuses to start


@pytest.mark.parametrize("junk", [b"\xff\xfe\x00\x81garbage", b"../../etc", b"v1\nv2"])
def test_junk_in_current_is_a_corrupt_index_error(two_versions: Path, junk: bytes) -> None:
    (two_versions / "CURRENT").write_bytes(junk)
    with pytest.raises(CorruptIndexError, match="CURRENT does not name an index version"):
        Collection.open(two_versions, FakeEmbedder())
    with pytest.raises(CorruptIndexError, match="CURRENT"):
        check_index(Settings(index=two_versions))
    remove_stale_versions(two_versions)  # which version is live is unknown: nothing goes
    assert _names(two_versions) == ["v000001", "v000002"]


# --- what clean-up keeps ---------------------------------------------------------------------


def _partial(index: Path, name: str) -> Path:
    """A version folder as a killed ingest leaves it: files, no manifest."""
    folder = index / "versions" / name
    folder.mkdir()
    (folder / STORE).write_bytes(b"SQLite format 3\x00 half written")
    return folder


def test_clean_up_keeps_the_live_and_the_newest_valid_previous_version(two_versions: Path) -> None:
    index = two_versions  # v000002 is live, v000001 the previous
    _partial(index, "v000003")  # two ingests killed before their switch
    _partial(index, "v000004")
    live = index / "versions" / "v000005"  # a third one finished
    shutil.copytree(index / "versions" / "v000002", live)
    (index / "CURRENT").write_text(live.name)
    remove_stale_versions(index)
    # The crashed folders are not versions: the real previous one stays, they go.
    assert _names(index) == ["v000002", "v000005"]


def test_an_ingest_after_crashed_ones_keeps_the_real_previous_version(tmp_path: Path) -> None:
    index, docs = _ingest_rounds(tmp_path, 2)
    _partial(index, "v000003")
    _partial(index, "v000004")
    write_corpus(docs, 2, files=3)
    _ingest(index, docs)
    names = _names(index)
    assert len(names) == 2 and names[0] == "v000002"
    assert all(is_valid(folder, deep=True) for folder in version_dirs(index))


def test_an_incomplete_manifest_does_not_make_a_version(two_versions: Path) -> None:
    live = two_versions / "versions" / "v000002"
    truncated = live.parent / "v000003"
    truncated.mkdir()
    (truncated / MANIFEST).write_text((live / MANIFEST).read_text()[:80])
    listed = json.loads((live / MANIFEST).read_text())
    listed["checksums"] = {STORE: listed["checksums"][STORE]}  # lists only the store
    missing = live.parent / "v000004"
    missing.mkdir()
    (missing / MANIFEST).write_text(json.dumps(listed))
    (two_versions / "CURRENT").write_text("v000005")  # a live version newer than all three
    fifth = live.parent / "v000005"
    fifth.mkdir()
    remove_stale_versions(two_versions)
    assert _names(two_versions) == ["v000002", "v000005"]


def test_an_empty_current_deletes_no_valid_version(two_versions: Path) -> None:
    (two_versions / "CURRENT").write_text("")
    _partial(two_versions, "v000003")
    remove_stale_versions(two_versions)
    assert _names(two_versions) == ["v000001", "v000002"]


# --- start-up tidies after a crash -----------------------------------------------------------


@pytest.fixture
def uploaded(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An index with one uploaded document, a.txt; yields (index, its content hash)."""
    index, _ = _ingest_rounds(tmp_path, 1, files=2)
    with _client(index) as client:
        accepted = client.post(
            "/api/documents",
            files=[("files", ("a.txt", b"Alpha notes say the alpha key is blue. " * 5))],
            headers={"X-Admin-Key": KEY},
        )
        upload_report(client, accepted, {"X-Admin-Key": KEY})
    live = current_version(index)
    assert live is not None
    store = Store(live / STORE, readonly=True)
    try:
        [digest] = [h for s, (_, h) in store.hashes_by_source().items() if s.endswith("a.txt")]
    finally:
        store.close()
    yield index, digest


def _pending(index: Path, name: str, journal: dict[str, str | None] | None) -> Path:
    folder = index / "uploads" / name
    folder.mkdir()
    if journal is not None:
        (folder / JOURNAL).write_text(json.dumps(journal))
    return folder


def test_start_up_removes_unfinished_versions_and_dead_upload_folders(
    uploaded: tuple[Path, str],
) -> None:
    index, _ = uploaded
    dead = _pending(index, ".incoming-dead1", None)  # killed while the body arrived
    (dead / "b.txt").write_text("Beta notes, never ingested.")
    undone = _pending(index, ".incoming-dead2", {"c.txt": "0" * 64})  # killed before switch
    (undone / "c.txt").write_text("Gamma notes, never switched to.")
    _partial(index, "v000009")
    with _client(index) as client:
        assert client.get("/healthz").json()["status"] == "ok"
    assert sorted(p.name for p in (index / "uploads").iterdir()) == ["a.txt"]
    assert "v000009" not in _names(index)


def test_an_upload_killed_after_the_switch_is_completed_at_start_up(
    uploaded: tuple[Path, str],
) -> None:
    index, digest = uploaded
    # As left by a kill between the index switch and the move of the file into uploads/.
    folder = _pending(index, ".incoming-killed", {"a.txt": digest})
    (index / "uploads" / "a.txt").rename(folder / "a.txt")
    assert tidy(index)
    assert sorted(p.name for p in (index / "uploads").iterdir()) == ["a.txt"]


def test_a_delete_killed_before_the_switch_puts_the_file_back(
    uploaded: tuple[Path, str],
) -> None:
    index, _ = uploaded
    folder = _pending(index, ".incoming-delete", {"a.txt": None})
    (index / "uploads" / "a.txt").rename(folder / "a.txt")  # moved out; document still live
    assert tidy(index)
    assert sorted(p.name for p in (index / "uploads").iterdir()) == ["a.txt"]


def test_a_pending_folder_in_use_is_left_alone(uploaded: tuple[Path, str]) -> None:
    from askdocs.index.uploads import PendingChange

    index, _ = uploaded
    with PendingChange(index) as pending:
        pending.path("d.txt").write_text("Delta notes on their way in.")
        assert tidy(index)  # an ingest from another process tidies meanwhile
        assert pending.folder.is_dir() and pending.path("d.txt").is_file()
    assert not pending.folder.exists()  # settled when the request ended: not ingested, gone
    assert sorted(p.name for p in (index / "uploads").iterdir()) == ["a.txt"]
