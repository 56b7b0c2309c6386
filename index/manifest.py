"""The manifest of an index version: what built it, and checksums of its files."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from askdocs.errors import CorruptIndexError, IncompatibleIndexError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    """Parameters an index was built with; opening it with others is refused."""

    model: str
    dimension: int
    max_seq_length: int
    chunk_tokens: int
    chunk_overlap: int
    vector_index: str
    documents: int = 0
    chunks: int = 0
    format_version: int = FORMAT_VERSION
    created: str = ""
    checksums: dict[str, str] = field(default_factory=dict)

    def save(self, folder: Path) -> None:
        """Write manifest.json into `folder`, atomically: a manifest that is there is whole
        (its presence is what makes a version valid, see index/layout.py)."""
        tmp = folder / f"{MANIFEST}.tmp"
        with tmp.open("w") as handle:
            handle.write(json.dumps(asdict(self), indent=2, sort_keys=True))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / MANIFEST)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read manifest.json from `folder`."""
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptIndexError(f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CorruptIndexError(f"{path} does not hold a manifest")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IncompatibleIndexError(
                f"index at {folder} has format version {version}; this askdocs reads version "
                f"{FORMAT_VERSION}. Re-create it: delete the folder and run askdocs ingest again."
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise CorruptIndexError(f"{path} has unexpected fields: {exc}") from exc

    def check_model(self, model: str, folder: Path) -> None:
        """Refuse to use the index with another embedding model than the one that built it."""
        if model != self.model:
            raise IncompatibleIndexError(
                f"index at {folder} was built with model {self.model!r}, but the configured model "
                f"is {model!r}. Use that model (ASKDOCS_MODEL) or ingest into a new --index."
            )


def file_checksum(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder` except the manifest, by relative path."""
    return {
        str(p.relative_to(folder)): file_checksum(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def verify(folder: Path, manifest: Manifest) -> None:
    """Raise CorruptIndexError when a file is missing or differs from its checksum."""
    for name, expected in manifest.checksums.items():
        path = folder / name
        if not path.is_file():
            raise CorruptIndexError(f"index file {path} is missing")
        if file_checksum(path) != expected:
            raise CorruptIndexError(
                f"index file {path} is corrupted (checksum mismatch); re-run askdocs ingest "
                "into a new --index"
            )
