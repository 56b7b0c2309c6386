"""Reading text files safely: refuse binaries and undecodable bytes with a named reason."""

from __future__ import annotations

from pathlib import Path

from askdocs.errors import UnreadableFileError


def read_text(path: Path) -> str:
    """The file's text decoded as UTF-8 (a BOM is dropped).

    Raises UnreadableFileError for an unreadable, empty, binary or non-UTF-8 file.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(str(path), f"cannot read file ({exc.strerror})") from exc
    if not data.strip():
        raise UnreadableFileError(str(path), "empty file")
    if b"\x00" in data[:8192]:
        raise UnreadableFileError(str(path), "binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            str(path), f"not valid UTF-8 (byte {exc.start}); convert it to UTF-8"
        ) from exc


def title_from_path(path: Path) -> str:
    """A readable title from a file name: 'annual-report_2023.txt' -> 'Annual report 2023'."""
    stem = path.stem.strip()
    if any(ch.isupper() for ch in stem) or " " in stem:
        return stem
    words = stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else path.name
