"""Reading text files safely: bounded size, binaries refused, stray bad bytes replaced.

- A text file larger than `MAX_TEXT_BYTES` is refused (checked with `stat` before reading, and
  the read itself is bounded, so a file growing meanwhile cannot blow up memory).
- A file with NUL bytes near its start is binary and refused.
- Invalid UTF-8 is decoded with U+FFFD replacement characters and a warning naming the file,
  unless more than `MAX_REPLACED_FRACTION` of the text would be replaced: such a file is in
  another encoding (Latin-1, UTF-16...) and is refused with the advice to convert it.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from askdocs.errors import UnreadableFileError

log = logging.getLogger("askdocs.ingest")

# Text, Markdown and HTML files above this size are refused: at 50 MB a file is a data dump or
# a log, not a document, and it would be decoded and cleaned in memory as a whole.
MAX_TEXT_BYTES = 50 * 1024 * 1024
# Above this share of replaced characters a file is read as being in another encoding.
MAX_REPLACED_FRACTION = 0.01
_BINARY_PROBE_BYTES = 8192
_MB = 1024 * 1024


def read_text(path: Path) -> str:
    """The file's text decoded as UTF-8 (a BOM is dropped).

    Raises UnreadableFileError for an unreadable, empty, binary, oversized or non-UTF-8 file.
    A few invalid bytes are replaced (U+FFFD), with a warning naming the file.
    """
    data = _read_bounded(path)
    if not data.strip():
        raise UnreadableFileError(str(path), "empty file")
    if b"\x00" in data[:_BINARY_PROBE_BYTES]:
        raise UnreadableFileError(str(path), "binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = data.decode("utf-8-sig", errors="replace")
    replaced = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
    if replaced > MAX_REPLACED_FRACTION * max(len(text), 1):
        raise UnreadableFileError(
            str(path), f"not valid UTF-8 (byte {first_bad}); convert it to UTF-8"
        )
    log.warning(
        "%s: invalid UTF-8 (first at byte %d); %d character(s) replaced with U+FFFD",
        path,
        first_bad,
        replaced,
    )
    return text


def _read_bounded(path: Path) -> bytes:
    """The file's bytes; refused above MAX_TEXT_BYTES (stat first, then a bounded read)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(str(path), "not a regular file")
        if info.st_size > MAX_TEXT_BYTES:
            raise UnreadableFileError(str(path), _too_large(info.st_size))
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise UnreadableFileError(str(path), f"cannot read file ({exc.strerror})") from exc
    if len(data) > MAX_TEXT_BYTES:
        raise UnreadableFileError(str(path), _too_large(len(data)))
    return data


def _too_large(size: int) -> str:
    return (
        f"file too large ({size / _MB:.0f} MB; the limit for text files is "
        f"{MAX_TEXT_BYTES // _MB} MB); split it into smaller files"
    )


def title_from_path(path: Path) -> str:
    """A readable title from a file name: 'annual-report_2023.txt' -> 'Annual report 2023'."""
    stem = path.stem.strip()
    if any(ch.isupper() for ch in stem) or " " in stem:
        return stem
    words = stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else path.name
