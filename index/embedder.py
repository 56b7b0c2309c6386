"""Sentence-transformers embedder: loaded on first use, normalised vectors, batched.

Four backends compute the same vectors:

- ``onnx``: the model's transformer, exported once to ONNX and run with onnxruntime; texts are
  tokenised with `tokenizers`, pooled and L2-normalised in numpy. Loading it imports neither
  torch nor sentence-transformers (~1 s instead of ~10 s); vectors equal torch's to rounding.
- ``onnx-int8``: the same graph with weights quantised to int8 (dynamic, per channel): faster,
  vectors within quantisation noise of torch's (cosine ~0.98-0.99).
- ``torch``: sentence-transformers on PyTorch, as the model was trained.
- ``torch-bf16``: the transformer on PyTorch in bfloat16, tokenised and pooled as on ONNX: about
  twice as fast as float32 where the CPU computes bfloat16 natively, vectors within cosine
  0.9999 of float32's. Documents are embedded this way by default on such CPUs
  (`document_backend`); questions keep `embedding_backend`, so the service never loads torch.

The parts: `onnx_export` makes and caches the export, `runtimes` runs the model either way,
`pooling` pools token vectors, `query_cache` remembers recent queries. When the export or the
quantisation fails, the model runs on torch with a warning, and `Embedder.backend_in_use` says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import get_args

import numpy as np

from askdocs.errors import ExportError, ModelError
from askdocs.index.model_source import quiet_offline, resolve_model
from askdocs.index.onnx_export import OnnxExporter, onnx_cache_dir
from askdocs.index.query_cache import QueryCache
from askdocs.index.runtimes import (
    Bf16Runtime,
    OnnxRuntime,
    Runtime,
    SpanEncoder,
    Spans,
    SpanVectors,
    TokenRuntime,
    TorchRuntime,
)
from askdocs.settings import PACKAGED_MODEL, EmbeddingBackend, Settings

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Embedder",
    "document_backend",
    "native_bf16",
    "onnx_cache_dir",
    "resolve_model",
]

log = logging.getLogger("askdocs.embedder")

# Progress of an embedding: True for a bar of its own, or a callable advancing an outer bar by
# the texts embedded (a streamed ingest shows one bar across its batches).
Progress = bool | Callable[[int], object]

BACKENDS: tuple[str, ...] = get_args(EmbeddingBackend)
DEFAULT_BACKEND: EmbeddingBackend = "onnx"

# Special tokens ([CLS], [SEP]) the model adds to every input.
_SPECIAL_TOKENS = 2
_QUERY_CACHE_SIZE = 1024


class Embedder:
    """Turns texts into L2-normalised float32 vectors with one sentence-transformers model.

    `backend` is the backend asked for; `backend_in_use` the one the loaded model runs on.
    `document_backend` (default: `backend`) embeds documents and `backend` questions
    (`encode_query`); `backend_in_use`, `model` and everything but `encode_query` are the
    documents'. `cache_dir` holds ONNX exports (default: `onnx_cache_dir()`); `exporter` makes
    them. `serving`: the embedder serves several requests at once (the service), so the ONNX
    session's threads do not busy-wait between runs.
    """

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        batch_size: int = 64,
        backend: EmbeddingBackend = DEFAULT_BACKEND,
        cache_dir: Path | None = None,
        exporter: OnnxExporter | None = None,
        serving: bool = False,
        document_backend: EmbeddingBackend | None = None,
    ) -> None:
        for name in (backend, document_backend or backend):
            if name not in BACKENDS:
                raise ModelError(
                    f"unknown embedding backend {name!r}; choose one of {', '.join(BACKENDS)}"
                )
        self.model_name = model
        self.batch_size = batch_size
        self.backend: EmbeddingBackend = backend
        self.cache_dir = cache_dir
        self.exporter = exporter or OnnxExporter()
        self.document_backend: EmbeddingBackend = document_backend or backend
        self.serving = serving
        self._runtime: Runtime | None = None
        self._query_runtime: Runtime | None = None
        self._lock = threading.Lock()
        # The tokenizer is not thread-safe: an upload being embedded and a query being answered
        # must take turns, one batch at a time, so queries are never starved.
        self._use_lock = threading.RLock()
        self._queries = QueryCache(_QUERY_CACHE_SIZE)

    @classmethod
    def from_settings(cls, settings: Settings, serving: bool = False) -> Embedder:
        """The embedder `settings` ask for: model, batch size, backends (`document_backend`).
        `serving`: for the service, where several requests embed at once and uploads are
        embedded with the questions' backend, so it loads one runtime only."""
        return cls(
            settings.model,
            settings.embed_batch_size,
            settings.embedding_backend,
            serving=serving,
            document_backend=settings.embedding_backend if serving else document_backend(settings),
        )

    @property
    def model(self) -> Runtime:
        """The loaded model for documents (loaded on first use, once, thread-safely)."""
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._load(self.document_backend)
        return self._runtime

    @property
    def query_model(self) -> Runtime:
        """The loaded model for questions: `model` itself when both backends are one."""
        if self.backend == self.document_backend:
            return self.model
        if self._query_runtime is None:
            with self._lock:
                if self._query_runtime is None:
                    self._query_runtime = self._load(self.backend)
        return self._query_runtime

    def _load(self, backend: EmbeddingBackend) -> Runtime:
        path = resolve_model(self.model_name)
        if backend == "torch":
            return TorchRuntime(path)
        quiet_offline()
        try:
            return self._load_outside_sentence_transformers(path, backend)
        except ExportError as exc:
            log.warning(
                "embedding model %s cannot run on the %s backend (%s); using torch instead",
                path,
                backend,
                exc,
            )
        return TorchRuntime(path)

    def _load_outside_sentence_transformers(
        self, path: str, backend: EmbeddingBackend
    ) -> TokenRuntime:
        """The ONNX or bfloat16 runtime; ExportError when the model does not fit that path."""
        if backend == "torch-bf16":
            return Bf16Runtime(path)
        int8 = backend == "onnx-int8"
        try:
            with self.exporter.exported(path, self.cache_dir or onnx_cache_dir(), int8) as folder:
                return OnnxRuntime(folder, int8, spin=not self.serving)
        except ImportError as exc:
            raise ModelError(
                f"the {backend} embedding backend needs onnxruntime and onnx: "
                f"pip install onnxruntime onnx ({exc})"
            ) from exc

    @property
    def backend_in_use(self) -> str:
        """The backend documents are embedded on: `document_backend`, unless the export (or,
        for torch-bf16, the model's shape) failed and it fell back to torch. Loads the model."""
        return self.model.backend

    @property
    def dimension(self) -> int:
        """Length of the vectors the model produces."""
        return self.model.dimension

    @property
    def max_tokens(self) -> int:
        """How many of the model's own tokens it reads per text, special tokens included."""
        return self.model.max_tokens

    def count_tokens(self, text: str) -> int:
        """Number of model tokens in `text`, without special tokens."""
        with self._use_lock:
            return self.model.count_tokens(text)

    def fits(self, text: str) -> bool:
        """Whether the model reads `text` whole, without truncating it."""
        return self.count_tokens(text) + _SPECIAL_TOKENS <= self.max_tokens

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed `texts` in batches; rows are unit-length float32 vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in self._batches(texts, progress):
            with self._use_lock:
                out[rows] = model.encode([texts[i] for i in rows])
        return out

    def encode_with_spans(
        self, texts: list[str], spans: Spans, progress: Progress = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts` and of the character spans (sentences) of each. `progress`: a
        bar of its own, or a callable advancing one by the texts embedded.

        On the ONNX backends a span's vector is pooled from its text's own pass (the mean of
        its token vectors: no extra model work); on torch, and for spans no token falls
        inside, the span's text is embedded on its own.
        """
        if len(spans) != len(texts):
            raise ValueError("spans must list the spans of every text")
        pooled: SpanVectors = [[None] * len(row) for row in spans]
        encode_spans = self.span_pooler()
        if encode_spans is None:
            vectors = self.encode(texts, progress=progress is True)
            if callable(progress):
                progress(len(texts))
        else:
            vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for rows in self._batches(texts, progress):
                with self._use_lock:
                    batch_vectors, batch_spans = encode_spans(
                        [texts[i] for i in rows], [spans[i] for i in rows]
                    )
                vectors[rows] = batch_vectors
                for i, row in zip(rows, batch_spans, strict=True):
                    pooled[i] = row
        missing = [(i, j) for i, row in enumerate(pooled) for j, v in enumerate(row) if v is None]
        fresh = self.encode([texts[i][slice(*spans[i][j])] for i, j in missing])
        for (i, j), vector in zip(missing, fresh, strict=True):
            pooled[i][j] = vector
        span_vectors = [
            np.array(row, dtype=np.float32).reshape(len(row), self.dimension) for row in pooled
        ]
        return vectors, span_vectors

    def span_pooler(self) -> SpanEncoder | None:
        """What `encode_with_spans` calls batch by batch: the runtime's `encode_spans`. A
        subclass without a runtime returns None: texts then go through `encode`, and every
        span is embedded on its own."""
        return self.model.encode_spans

    def _batches(self, texts: list[str], progress: Progress) -> Iterator[list[int]]:
        """Row numbers of `texts` in batches of `batch_size`, in order of token count: a batch is
        padded to its longest text, so batching texts of about the same token count saves most of
        the padding (sorting by characters left 22 % of the positions fed padding on SciFact, by
        tokens ~3 %: README, Performance). Texts that make one batch are not counted."""
        if len(texts) <= self.batch_size:
            order = list(range(len(texts)))
        else:
            lengths = [min(self.count_tokens(t) + _SPECIAL_TOKENS, self.max_tokens) for t in texts]
            order = sorted(range(len(texts)), key=lengths.__getitem__)
        starts: Iterable[int] = range(0, len(order), self.batch_size)
        if progress is True:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            yield order[start : start + self.batch_size]
            if callable(progress):
                progress(len(order[start : start + self.batch_size]))

    def forget_queries(self) -> None:
        """Empty the query cache (benchmarks time questions as if new)."""
        self._queries.clear()

    def encode_query(self, query: str) -> np.ndarray:
        """Embed one query, remembering recent ones so a repeated question costs nothing."""
        cached = self._queries.get(query)
        if cached is not None:
            return cached
        vector: np.ndarray
        if self.backend == self.document_backend:
            # Through `encode`, which embedders without a model (tests, evals) override.
            vector = self.encode([query])[0]
        else:
            model = self.query_model
            with self._use_lock:
                vector = model.encode([query])[0]
        self._queries.put(query, vector)
        return vector


@cache
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), as Linux reports it.
    Elsewhere False: bfloat16 emulated in software is slower than float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return not {"avx512_bf16", "amx_bf16"}.isdisjoint(flags.split())


def document_backend(settings: Settings) -> EmbeddingBackend:
    """The backend documents are embedded on: `settings.document_embedding_backend`; "auto" is
    torch-bf16 on a CPU with native bfloat16 unless the questions' backend is int8 (whose
    vectors would then differ from the documents' by more than rounding), else the questions'
    backend."""
    chosen = settings.document_embedding_backend
    if chosen != "auto":
        return chosen
    if settings.embedding_backend != "onnx-int8" and native_bf16():
        return "torch-bf16"
    return settings.embedding_backend
