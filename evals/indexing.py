"""The index under evaluation: exactly the given documents, ingested and searched the way the
service does it, kept in a folder to reuse or in a temp dir. Question sets bring a folder of
files (`folder_documents`), BEIR a corpus (`beir_eval.beir_documents`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from askdocs.index.backend import Backend, open_backend
from askdocs.index.embedder import Embedder
from askdocs.index.writer import ingest_documents
from askdocs.ingest.documents import discover, load_documents
from askdocs.ingest.models import Document
from askdocs.settings import Settings


def folder_documents(docs: Path, limit: int | None = None) -> list[Document]:
    """The documents of the files under `docs` (the first `limit` files when given); files
    that cannot be loaded are left out. FileNotFoundError or ValueError when there are none."""
    if not docs.exists():
        raise FileNotFoundError(f"documents folder not found: {docs}")
    files, _ = discover([docs])
    loaded = [d for d in load_documents(files[:limit]) if isinstance(d, Document)]
    if not loaded:
        raise ValueError(f"{docs}: no document could be loaded")
    return loaded


@contextmanager
def eval_collection(
    documents: list[Document], settings: Settings, embedder: Embedder, index: Path | None = None
) -> Iterator[Backend]:
    """A collection of exactly `documents`, chunked per `settings`.

    With `index` the collection is kept there and reused (unchanged documents are not embedded
    again; documents from elsewhere are removed); without, it lives in a temp dir.
    """
    with TemporaryDirectory(prefix="askdocs-eval-") as tmp:
        root = index if index is not None else Path(tmp) / "index"
        ingest_documents(root, documents, embedder, settings, remove_if=lambda _source: True)
        collection = open_backend(settings.replace(index=root), embedder, check=False)
        try:
            yield collection
        finally:
            collection.close()
