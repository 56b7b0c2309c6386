"""FAISS vector index over chunk ids: inner product on unit vectors, i.e. cosine similarity."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

FLAT = "flat"


class VectorIndex:
    """Chunk vectors in FAISS, addressed by chunk id."""

    def __init__(self, index: faiss.Index, kind: str = FLAT) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        """An exact index over `vectors` (rows are unit length), one id per row."""
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        if len(ids):
            index.add_with_ids(vectors, ids.astype(np.int64))
        return cls(index, FLAT)

    def save(self, path: Path) -> None:
        """Write the index to `path` (FAISS's own binary format)."""
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str = FLAT) -> VectorIndex:
        """Read an index written by `save`."""
        return cls(faiss.read_index(str(path)), kind)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids with their cosine similarity, best first."""
        if len(self) == 0 or k <= 0:
            return []
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
