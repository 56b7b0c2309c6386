"""Crash safety: kill -9 during ingest, a failing disk, two ingests at once, corrupted files.

Ingests here embed with `evals.crash.FakeEmbedder` (deterministic, no model): these tests are
about storage, not retrieval quality.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from askdocs.errors import CorruptIndexError, IndexLockedError
from askdocs.evals.crash import (
    FakeEmbedder,
    expected_documents,
    fake_settings,
    run_rounds,
    self_check,
    write_corpus,
)
from askdocs.evals.crash_upload import run_rounds as run_upload_rounds
from askdocs.index.collection import Collection
from askdocs.index.layout import current_version, write_lock
from askdocs.index.writer import ingest_paths

ROOT = Path(__file__).resolve().parents[2]
KILL_ROUNDS = 24
UPLOAD_KILL_ROUNDS = 6  # each starts a server process: about a second a round


def _ingest(index: Path, *folders: Path) -> None:
    ingest_paths(index, list(folders), FakeEmbedder(), fake_settings(index))


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_kill_9_at_random_moments_leaves_exactly_the_old_or_the_new_version(
    tmp_path: Path,
) -> None:
    results = run_rounds(tmp_path, KILL_ROUNDS, seed=7)
    assert len(results) == KILL_ROUNDS
    outcomes = [r.outcome for r in results]
    print(
        f"\n{KILL_ROUNDS} kill -9 rounds survived: "
        + ", ".join(f"{k} {outcomes.count(k)}" for k in ("old", "new", "finished"))
    )
    # Delays span the whole ingest: some kills land before the switch.
    assert "old" in outcomes


def test_kill_9_during_uploads_keeps_documents_and_files_in_step(tmp_path: Path) -> None:
    tally = run_upload_rounds(tmp_path, UPLOAD_KILL_ROUNDS, seed=3)
    print("\n" + "\n".join(tally.log))
    assert tally.rounds == UPLOAD_KILL_ROUNDS
    assert not tally.violations, tally.log


def test_a_write_failure_fails_clearly_and_the_previous_version_keeps_serving(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    _ingest(index, _write(tmp_path / "small", "apples.txt", "Apples grow on trees. " * 30))
    before = self_check(index)
    big = tmp_path / "big"
    _write(big, "huge.txt", " ".join(f"Sentence {i} mentions pears." for i in range(40_000)))
    # A child whose files may not grow past 300 KB: the new store cannot be written (EFBIG),
    # a real failed write, as on a full disk.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "askdocs.evals.crash",
            "--ingest",
            str(index),
            str(big),
            "--max-file-bytes",
            "300000",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "could not write the new index version" in result.stderr
    assert "the previous version is unchanged" in result.stderr
    assert self_check(index) == before
    assert [p.name for p in (index / "versions").iterdir()] == [before.version]
    collection = Collection.open(index, FakeEmbedder())
    try:
        hits = collection.search("apples trees", k=1, mode="lexical")
        assert hits and "Apples" in hits[0].stored.chunk.text
    finally:
        collection.close()


def test_two_ingests_at_once_are_serialised_and_both_land(tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_corpus(tmp_path / "base", 0, files=3)
    _ingest(index, tmp_path / "base")
    first, second = tmp_path / "first", tmp_path / "second"
    for i in range(6):
        _write(first, f"first-{i}.txt", f"First batch document {i}. " * 50)
        _write(second, f"second-{i}.txt", f"Second batch document {i}. " * 50)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "askdocs.evals.crash", "--ingest", str(index), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for folder in (first, second)
    ]
    for proc in processes:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    snapshot = self_check(index)
    wanted = (
        expected_documents(tmp_path / "base")
        | expected_documents(first)
        | expected_documents(second)
    )
    assert snapshot.documents == wanted  # no lost documents
    assert snapshot.version == "v000003"  # two versions written one after the other


def test_the_write_lock_excludes_a_second_writer(tmp_path: Path) -> None:
    index = tmp_path / "index"
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with write_lock(index):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(IndexLockedError, match="another ingest"), write_lock(index, wait=False):
            pass
    finally:
        release.set()
        thread.join()
    with write_lock(index, wait=False):  # released
        pass


@pytest.mark.parametrize("name", ["vectors.faiss", "store.sqlite", "bm25/chunk_ids.json"])
def test_a_corrupted_index_file_gives_a_clear_error(tmp_path: Path, name: str) -> None:
    index = tmp_path / "index"
    write_corpus(tmp_path / "docs", 0, files=3)
    _ingest(index, tmp_path / "docs")
    folder = current_version(index)
    assert folder is not None
    path = folder / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError) as error:
        Collection.open(index, FakeEmbedder())
    assert str(path) in str(error.value) and "checksum" in str(error.value)


def test_a_missing_index_file_gives_a_clear_error(tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_corpus(tmp_path / "docs", 0, files=3)
    _ingest(index, tmp_path / "docs")
    folder = current_version(index)
    assert folder is not None
    (folder / "vectors.faiss").unlink()
    with pytest.raises(CorruptIndexError, match=r"vectors\.faiss is missing"):
        Collection.open(index, FakeEmbedder())
