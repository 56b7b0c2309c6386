"""Bad input to ingest: every bad file is reported by name, the rest ingest, nothing stored is
lost. Ingests embed with `evals.crash.FakeEmbedder`: this is about files, not retrieval."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from askdocs.errors import UnreadableFileError
from askdocs.evals.crash import FakeEmbedder, fake_settings, self_check
from askdocs.index.collection import Collection
from askdocs.index.writer import ingest_paths
from askdocs.ingest.documents import Skipped, discover, load_documents
from askdocs.ingest.loaders import load_file
from askdocs.ingest.loaders.decode import MAX_TEXT_BYTES, read_text
from askdocs.ingest.models import Document

GOOD = "Refunds are paid within fourteen days of the return arriving at the warehouse."
NOBODY = 65534


def _load(paths: list[Path]) -> tuple[list[Document], dict[str, str]]:
    files, skipped = discover(paths)
    results = list(load_documents(files))
    docs = [r for r in results if isinstance(r, Document)]
    skipped += [r for r in results if isinstance(r, Skipped)]
    return docs, {s.path: s.reason for s in skipped}


def test_empty_binary_and_foreign_encoded_files_are_refused_by_name(tmp_path: Path) -> None:
    cases = {
        "empty.txt": (b"", "empty file"),
        "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data"),
        "utf16.txt": ("Texte en UTF-16".encode("utf-16"), "binary data"),
        "latin1.md": ("Crème brûlée à la carte, été.".encode("latin-1"), "not valid UTF-8"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(UnreadableFileError) as error:
            load_file(path)
        assert str(path) in str(error.value) and reason in str(error.value)


def test_a_few_invalid_utf8_bytes_are_replaced_with_a_warning_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "mostly-fine.txt"
    path.write_bytes(GOOD.encode() * 20 + b" broken \xff\xfe byte " + GOOD.encode())
    with caplog.at_level(logging.WARNING, logger="askdocs.ingest"):
        text = read_text(path)
    assert "broken \ufffd\ufffd byte" in text and text.count("\ufffd") == 2
    assert any(str(path) in m and "invalid UTF-8" in m for m in caplog.messages)
    docs, skipped = _load([path])
    assert len(docs) == 1 and not skipped


def test_a_200_mb_text_file_is_refused_from_its_size_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    assert path.stat().st_size > MAX_TEXT_BYTES
    with pytest.raises(UnreadableFileError) as error:
        load_file(path)
    assert str(path) in str(error.value)
    assert "file too large (200 MB" in str(error.value) and "50 MB" in str(error.value)


def test_deeply_nested_html_loads_or_is_reported_never_crashes(tmp_path: Path) -> None:
    path = tmp_path / "nested.html"
    # 10,000 levels: lexbor's parse time grows with the square of the depth (1 s at 20,000,
    # over a minute at 100,000), so deeper pages are a denial of service the HTML loader
    # should refuse before parsing (noted for ingest/loaders/html.py).
    depth = 10_000
    path.write_text(
        "<html><body>"
        + "<div>" * depth
        + "<p>Deep content about refunds.</p>"
        + "</div>" * depth
        + "</body></html>",
        encoding="utf-8",
    )
    docs, skipped = _load([path])
    if docs:
        assert "Deep content about refunds." in docs[0].text
    else:
        assert str(path) in skipped


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder with good files, and a secret outside it that symlinks point to."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("The root password is hunter2.", encoding="utf-8")
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "good.txt").write_text(GOOD, encoding="utf-8")
    (docs / "sub" / "also-good.md").write_text("# Shipping\n\nParcels ship daily.", "utf-8")
    yield docs, outside


def test_symlinks_out_of_the_folder_are_not_followed_and_loops_are_reported(
    hostile_folder: tuple[Path, Path],
) -> None:
    docs, outside = hostile_folder
    (docs / "leak.txt").symlink_to(outside / "secret.txt")
    (docs / "leak-dir").symlink_to(outside, target_is_directory=True)
    (docs / "loop.txt").symlink_to(docs / "loop.txt")
    (docs / "sub" / "up").symlink_to(docs, target_is_directory=True)  # a folder cycle
    (docs / "ping.txt").symlink_to(docs / "pong.txt")
    (docs / "pong.txt").symlink_to(docs / "ping.txt")
    (docs / "dangling.txt").symlink_to(docs / "nowhere.txt")
    (docs / "alias.txt").symlink_to(docs / "good.txt")  # inside: fine, read once
    os.mkfifo(docs / "pipe.txt")  # reading it would block forever
    loaded, skipped = _load([docs])
    assert sorted(d.title for d in loaded) == ["Good", "Shipping"]
    assert all("hunter2" not in d.text for d in loaded)
    assert "outside" in skipped[str(docs / "leak.txt")]
    assert "outside" in skipped[str(docs / "leak-dir")]
    assert "loop" in skipped[str(docs / "loop.txt")]
    assert "loop" in skipped[str(docs / "ping.txt")]
    assert "dangling" in skipped[str(docs / "dangling.txt")]
    assert "not a regular file" in skipped[str(docs / "pipe.txt")]
    assert str(docs / "sub" / "up") not in skipped  # inside the folder: just not walked twice


@contextmanager
def _unprivileged() -> Iterator[None]:
    """Run the body with an unprivileged effective user when running as root (root reads
    everything); the real and saved user ids stay root, so the change is undone after."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


def test_unreadable_files_and_folders_are_reported_by_name() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # under /tmp, reachable by another user
        folder = Path(tmp) / "docs"
        (folder / "locked").mkdir(parents=True)
        (folder / "good.txt").write_text(GOOD, encoding="utf-8")
        (folder / "locked" / "inner.txt").write_text(GOOD, encoding="utf-8")
        (folder / "private.txt").write_text(GOOD, encoding="utf-8")
        os.chmod(tmp, 0o755)
        os.chmod(folder / "private.txt", 0)
        os.chmod(folder / "locked", 0)
        with _unprivileged():
            _, reasons = _load([folder])
        assert "cannot read" in reasons[str(folder / "private.txt")]
        assert "cannot read folder" in reasons[str(folder / "locked")]
        assert str(folder / "good.txt") not in reasons
        os.chmod(folder / "locked", 0o755)


def test_bad_files_are_reported_the_rest_ingest_and_what_was_stored_is_untouched(
    tmp_path: Path, hostile_folder: tuple[Path, Path]
) -> None:
    index = tmp_path / "index"
    settings = fake_settings(index)
    first = tmp_path / "first"
    first.mkdir()
    (first / "kept.txt").write_text("Gift cards never expire and can be used online.", "utf-8")
    ingest_paths(index, [first], FakeEmbedder(), settings)
    before = self_check(index)

    docs, outside = hostile_folder
    bad = {
        "empty.txt": b"",
        "binary.txt": b"\x00\x01\x02\x03 binary",
        "latin1.txt": "Crème brûlée à la carte.".encode("latin-1"),
    }
    for name, data in bad.items():
        (docs / name).write_bytes(data)
    with (docs / "huge.txt").open("wb") as handle:
        handle.truncate(MAX_TEXT_BYTES + 1)
    (docs / "leak.txt").symlink_to(outside / "secret.txt")
    (docs / "loop.txt").symlink_to(docs / "loop.txt")
    report = ingest_paths(index, [docs], FakeEmbedder(), settings)

    reported = {Path(s.path).name for s in report.skipped}
    assert reported >= {*bad, "huge.txt", "leak.txt", "loop.txt"}
    assert len(report.added) == 2  # good.txt and sub/also-good.md
    after = self_check(index)
    assert before.documents < after.documents  # the earlier document is still there, as it was
    collection = Collection.open(index, FakeEmbedder())
    try:
        titles = sorted(d.title for d in collection.list_documents())
        assert titles == ["Good", "Kept", "Shipping"]
    finally:
        collection.close()
