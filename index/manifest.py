"""The manifest of an index version: everything a search of it depends on, and checksums.

`FORMAT_VERSION` goes up with each change of what a version holds; this askdocs reads its own
format only, and an index of another one must be ingested again (no reader for old layouts).

1. chunks with vectors (SQLite, FAISS), chunk-level BM25.
2. sentence vectors in the store, document-level BM25; the manifest records the embedding
   backend in use and how sentence vectors were made, all chunking settings, the BM25
   tokenizer, and the fusion and document weights the ingest ran with; `verified.json`
   (index/integrity.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from askdocs.errors import CorruptIndexError, IncompatibleIndexError

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
# How sentence vectors were made (Manifest.sentence_vectors).
POOLED = "pooled from the chunk's pass"
EMBEDDED = "embedded alone"


@dataclass(frozen=True)
class Manifest:
    """How an index version was built. Ingesting into it with other embedding or chunking
    settings is refused (see index/provenance.py)."""

    # The embedding: model, vector length, tokens read per text, the backend that ran it
    # (index/embedder.py; "onnx" may have fallen back to "torch") and how the vectors of
    # answer sentences were made (POOLED or EMBEDDED).
    model: str
    dimension: int
    max_seq_length: int
    embedding_backend: str
    sentence_vectors: str
    # Chunking (Settings.chunk_*).
    chunk_tokens: int
    chunk_overlap: int
    chunk_paragraphs: bool
    chunk_context: bool
    # The search indexes: FAISS's spec, how BM25 tokenizes (index/lexical.py), the dense share
    # of hybrid fusion (index/fusion.py) and the weight of a chunk's document's BM25 score.
    vector_index: str
    lexical_tokenizer: str
    dense_weight: float
    document_weight: float
    documents: int
    chunks: int
    created: str
    checksums: dict[str, str]
    format_version: int = FORMAT_VERSION

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
    def load(cls, folder: Path, index: Path) -> Manifest:
        """Read manifest.json from `folder`, a version of the index at `index`.

        IncompatibleIndexError, saying to ingest again, for another format version.
        """
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptIndexError(f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CorruptIndexError(f"{path} does not hold a manifest")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            written = f"format {version}" if isinstance(version, int) else "an unknown format"
            raise IncompatibleIndexError(
                f"the index at {index} is in {written}; this askdocs reads format "
                f"{FORMAT_VERSION} only. Ingest your documents again into a new index "
                f"(askdocs ingest PATH... --index NEW_FOLDER), or delete {index} and ingest again"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise CorruptIndexError(f"{path} is not a manifest of format {version}: {exc}") from exc

    def check_model(self, model: str, index: Path | str) -> None:
        """Refuse to use the index with another embedding model than the one that built it."""
        if model != self.model:
            raise IncompatibleIndexError(
                f"index at {index} was built with model {self.model!r}, but the configured model "
                f"is {model!r}. Use that model (ASKDOCS_MODEL) or ingest into a new --index."
            )
