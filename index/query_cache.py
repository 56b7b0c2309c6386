"""The vectors of recent queries, so a repeated question is not embedded again."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class QueryCache:
    """A thread-safe least-recently-used map from query text to its vector."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> np.ndarray | None:
        """The remembered vector of `query` (now the most recent), or None."""
        with self._lock:
            vector = self._vectors.get(query)
            if vector is not None:
                self._vectors.move_to_end(query)
            return vector

    def put(self, query: str, vector: np.ndarray) -> None:
        """Remember `vector` for `query`, forgetting the least recent query beyond `size`."""
        with self._lock:
            self._vectors[query] = vector
            self._vectors.move_to_end(query)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def clear(self) -> None:
        """Forget every query."""
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._vectors)
