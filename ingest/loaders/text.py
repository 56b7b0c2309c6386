"""Plain text: one block per paragraph-separated file, titled after the file name."""

from __future__ import annotations

from pathlib import Path

from askdocs.ingest.loaders.decode import read_text, title_from_path
from askdocs.ingest.models import Block, LoadedFile


def load_text(path: Path) -> LoadedFile:
    """Load a .txt file as a single block; cleaning normalises its whitespace."""
    return LoadedFile(title=title_from_path(path), blocks=[Block(read_text(path))])
