"""Checksums are verified once per version: the writer records its files as verified, later
opens stat them, and only a file whose stamp changed (or that is as new as the record) is hashed
again. Ingests here embed with `evals.crash.FakeEmbedder`: these tests are about files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from askdocs.errors import CorruptIndexError
from askdocs.evals.crash import FakeEmbedder, fake_settings, write_corpus
from askdocs.index.collection import Collection
from askdocs.index.integrity import VERIFIED, stamp, verify
from askdocs.index.layout import STORE, VECTORS, current_version
from askdocs.index.manifest import MANIFEST
from askdocs.index.writer import ingest_paths

HOUR_NS = 3600 * 10**9


@pytest.fixture
def version(tmp_path: Path) -> Path:
    """The live version folder of a small index."""
    index = tmp_path / "index"
    write_corpus(tmp_path / "docs", 0, files=3)
    ingest_paths(index, [tmp_path / "docs"], FakeEmbedder(), fake_settings(index))
    live = current_version(index)
    assert live is not None
    return live


def _listed(version: Path) -> dict[str, str]:
    checksums: dict[str, str] = json.loads((version / MANIFEST).read_text())["checksums"]
    return checksums


def _age(version: Path, names: list[str]) -> None:
    """Set the files' modification times an hour back, as for an index built long ago."""
    for name in names:
        info = os.stat(version / name)
        os.utime(version / name, ns=(info.st_atime_ns, info.st_mtime_ns - HOUR_NS))


def _flip_keeping_stamp(path: Path) -> None:
    """Damage a byte in place and put the modification time back: the stamp stays."""
    before = os.stat(path)
    with path.open("r+b") as handle:
        handle.seek(before.st_size // 2)
        byte = handle.read(1)
        handle.seek(before.st_size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert stamp(path) == (before.st_ino, before.st_size, before.st_mtime_ns)


def test_the_writer_records_every_index_file_as_verified(version: Path) -> None:
    record = json.loads((version / VERIFIED).read_text())
    assert set(record["files"]) == set(_listed(version))
    assert tuple(record["manifest"]) == stamp(version / MANIFEST)
    for name, recorded in record["files"].items():
        assert tuple(recorded) == stamp(version / name)


def test_an_unchanged_version_is_not_hashed_again(version: Path) -> None:
    _age(version, list(_listed(version)))
    verify(version, _listed(version))  # hashes what the ageing changed, records it
    # Bytes changed under an unchanged stamp are not read again: nothing notices them here
    # (the service's store reads do, see tests/security/test_corrupt_index.py).
    _flip_keeping_stamp(version / VECTORS)
    verify(version, _listed(version))
    # The record no longer vouches once the file's stamp changes.
    os.utime(version / VECTORS)
    with pytest.raises(CorruptIndexError, match=r"vectors\.faiss is corrupted"):
        verify(version, _listed(version))


def test_a_file_as_new_as_the_record_is_hashed_again(version: Path) -> None:
    # File times are coarse: a file rewritten within the tick it was verified in keeps its
    # stamp. One whose time is not older than the record is not trusted.
    record = os.stat(version / VERIFIED).st_mtime_ns
    _flip_keeping_stamp(version / STORE)
    info = os.stat(version / STORE)
    os.utime(version / STORE, ns=(info.st_atime_ns, record))
    with pytest.raises(CorruptIndexError, match=r"store\.sqlite is corrupted"):
        verify(version, _listed(version))


def test_without_a_record_every_file_is_hashed_and_the_record_written(version: Path) -> None:
    (version / VERIFIED).unlink()
    _flip_keeping_stamp(version / STORE)
    with pytest.raises(CorruptIndexError, match="checksum mismatch"):
        Collection.open(version.parent.parent, FakeEmbedder())
    assert not (version / VERIFIED).exists()  # a failed check records nothing
    _flip_keeping_stamp(version / STORE)  # the same byte back: intact again
    Collection.open(version.parent.parent, FakeEmbedder()).close()
    assert set(json.loads((version / VERIFIED).read_text())["files"]) == set(_listed(version))


def test_a_rewritten_manifest_voids_the_record(version: Path) -> None:
    _age(version, list(_listed(version)))
    verify(version, _listed(version))
    _flip_keeping_stamp(version / VECTORS)
    manifest = version / MANIFEST
    manifest.write_text(manifest.read_text() + "\n")
    with pytest.raises(CorruptIndexError, match=r"vectors\.faiss"):
        Collection.open(version.parent.parent, FakeEmbedder())
