"""Writing the fixture files: the bytes a writer saves, and a file on disk. Shared by the
format families (pdf_fixtures, docx_fixtures, text_fixtures) and by
evals/collections/product/make_docs.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def saved(save: Callable[[BinaryIO], object]) -> bytes:
    """What `save` (a PDF writer's `write`, a document's `save`) writes, as bytes."""
    out = io.BytesIO()
    save(out)
    return out.getvalue()


def write_file(path: Path, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `path` and return the path."""
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path
