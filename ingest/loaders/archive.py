"""Zip-bomb guard for zip-based formats (DOCX), read from the central directory only.

python-docx reads every part of the package into memory, so a small file that inflates to
gigabytes must be refused before it is opened. The sizes checked here are the ones the archive
declares; Python's zipfile never returns more than an entry declares, and the sandbox's memory
limit bounds what inflating a lying entry could cost.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from askdocs.errors import UnreadableFileError

# A DOCX has ~15-30 parts, plus one per image; thousands is a file built to exhaust us.
MAX_ENTRIES = 5000
# Total inflated size. Text and styles are a few MB; the rest is images, which python-docx
# holds in memory too, so this also bounds the worker's memory.
MAX_UNCOMPRESSED_MB = 256
# Inflation ratio of a single entry. XML deflates 5-20x; zeros deflate ~1000x. Small entries
# are exempt: a tiny, very regular part can compress far but cannot hurt.
MAX_RATIO = 100
RATIO_MIN_BYTES = 1 << 20

_MB = 1 << 20


def check_archive(
    path: Path,
    max_entries: int = MAX_ENTRIES,
    max_uncompressed_mb: int = MAX_UNCOMPRESSED_MB,
    max_ratio: int = MAX_RATIO,
) -> None:
    """Raise UnreadableFileError when the zip at `path` is broken or would inflate too far."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UnreadableFileError(str(path), f"not a valid zip archive ({exc})") from exc
    if len(entries) > max_entries:
        raise UnreadableFileError(
            str(path), f"refused: archive has {len(entries)} entries (limit {max_entries})"
        )
    total = sum(entry.file_size for entry in entries)
    if total > max_uncompressed_mb * _MB:
        raise UnreadableFileError(
            str(path),
            f"refused: archive expands to {total // _MB} MB (limit {max_uncompressed_mb} MB)",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_MIN_BYTES and ratio > max_ratio:
            raise UnreadableFileError(
                str(path),
                f"refused: entry {entry.filename} expands {ratio:.0f}x (limit {max_ratio}x)",
            )
